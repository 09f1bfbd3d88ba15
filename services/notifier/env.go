package notifier

import (
	"context"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/service"
)

// Options are what process.Main needs for the notifier.
var Options = process.Options{}

// FromEnv builds the notifier of a process, registered as the
// countersign-notifier micro service with its resume and status
// endpoints: the all-in-one and cmd/notifier share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (process.Runner, error) {
	log := env.Logger.With("service", service.Notifier)
	retry, err := process.RetryOf(env, bus.ConsumerNotifyJobs, service.Notifier)
	if err != nil {
		return nil, err
	}
	s, err := New(ctx, Config{
		File: env.Config(), JS: env.JS, Logger: log, Retry: retry,
		Registry: env.Registry, Metrics: env.WorkerMetrics, Topology: env.Topology,
	})
	if err != nil {
		return nil, err
	}
	env.OnReload(s.Reload)
	return service.Serve(env.NC, service.Info{
		Name: service.Notifier, Description: "reminders, escalations and alternates from the ledger",
		Endpoints: s.Endpoints(), Logger: log,
	}, s)
}
