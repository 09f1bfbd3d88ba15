package statesync

import (
	"context"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/service"
)

// Options are what process.Main needs for statesync: the dedupe locker.
var Options = process.Options{NeedLocker: true}

// FromEnv builds statesync of a process, registered as the
// countersign-statesync micro service: the all-in-one and cmd/statesync
// share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (process.Runner, error) {
	log := env.Logger.With("service", service.Statesync)
	retry, err := process.RetryOf(env, bus.ConsumerStatesync, "statesync")
	if err != nil {
		return nil, err
	}
	s, err := New(ctx, Config{
		JS: env.JS, Locker: env.Locker, Logger: log,
		Registry: env.Registry, Metrics: env.WorkerMetrics, MaxDeliver: env.Topology.MaxDeliver, Retry: retry,
		LockTTL: process.LockTTL,
	})
	if err != nil {
		return nil, err
	}
	return service.Serve(env.NC, service.Info{Name: service.Statesync, Description: "applies events to envelope records and writes the ledger", Logger: log}, s)
}
