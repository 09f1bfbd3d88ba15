package statesync

import (
	"context"

	"github.com/countersign/countersign/shared/process"
)

// Options are what process.Main needs for statesync: the dedupe locker.
var Options = process.Options{NeedLocker: true}

// FromEnv builds statesync of a process: the all-in-one and
// cmd/statesync share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (*Service, error) {
	return New(ctx, Config{
		JS: env.JS, Locker: env.Locker, Logger: env.Logger.With("service", "statesync"),
		Registry: env.Registry, Metrics: env.WorkerMetrics, MaxDeliver: env.Topology.MaxDeliver,
		LockTTL: process.LockTTL,
	})
}
