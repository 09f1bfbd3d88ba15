package reconciler

import (
	"context"

	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/service"
)

// Options are what process.Main needs for the reconciler (it takes its
// leases in the cursors bucket, not from the dedupe locker).
var Options = process.Options{}

// FromEnv builds the reconciler of a process, registered as the
// countersign-reconciler micro service with its reconcile endpoint: the
// all-in-one and cmd/reconciler share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (process.Runner, error) {
	log := env.Logger.With("service", service.Reconciler)
	s, err := New(ctx, Config{File: env.File, JS: env.JS, Logger: log, Registry: env.Registry})
	if err != nil {
		return nil, err
	}
	env.OnReload(s.Reload)
	return service.Serve(env.NC, service.Info{
		Name: service.Reconciler, Description: "polls provider APIs for what webhooks missed",
		Endpoints: s.Endpoints(), Logger: log,
	}, s)
}
