package reconciler

import (
	"context"
	"sync"

	"github.com/countersign/countersign/shared/process"
)

// Options are what process.Main needs for the reconciler (it takes its
// leases in the cursors bucket, not from the dedupe locker).
var Options = process.Options{}

// built holds the reconciler of each process Env: the all-in-one runs it
// and its admin API mounts its trigger, and both must be the same service
// (one set of metrics, one set of targets).
var built sync.Map // *process.Env → *Service

// FromEnv returns the reconciler of a process, building it on first use:
// the all-in-one, cmd/reconciler and the admin API share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (*Service, error) {
	if s, ok := built.Load(env); ok {
		return s.(*Service), nil
	}
	s, err := New(ctx, Config{
		File: env.File, JS: env.JS, Logger: env.Logger.With("service", "reconciler"), Registry: env.Registry,
	})
	if err != nil {
		return nil, err
	}
	if prev, loaded := built.LoadOrStore(env, s); loaded {
		return prev.(*Service), nil
	}
	env.AddCloser(func() { built.Delete(env) })
	env.OnReload(s.Reload)
	return s, nil
}
