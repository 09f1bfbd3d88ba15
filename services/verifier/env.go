package verifier

import (
	"context"

	"github.com/countersign/countersign/shared/process"
)

// FromEnv builds the verifier of a process: the all-in-one and
// cmd/verifier share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (*Service, error) {
	s, err := New(ctx, Config{
		File: env.File, JS: env.JS, Logger: env.Logger.With("service", "verifier"),
		Registry: env.Registry, Metrics: env.WorkerMetrics, MaxDeliver: env.Topology.MaxDeliver,
	})
	if err != nil {
		return nil, err
	}
	env.OnReload(s.Reload)
	return s, nil
}
