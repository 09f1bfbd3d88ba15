package verifier

import (
	"context"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/service"
)

// FromEnv builds the verifier of a process, registered as the
// countersign-verifier micro service: the all-in-one and cmd/verifier
// share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (process.Runner, error) {
	log := env.Logger.With("service", service.Verifier)
	retry, err := process.RetryOf(env, bus.ConsumerVerifier, "verifier")
	if err != nil {
		return nil, err
	}
	s, err := New(ctx, Config{
		File: env.File, JS: env.JS, Logger: log,
		Registry: env.Registry, Metrics: env.WorkerMetrics, MaxDeliver: env.Topology.MaxDeliver, Retry: retry,
	})
	if err != nil {
		return nil, err
	}
	env.OnReload(s.Reload)
	return service.Serve(env.NC, service.Info{Name: service.Verifier, Description: "turns raw callbacks into canonical events", Logger: log}, s)
}
