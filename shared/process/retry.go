package process

import (
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/dlq"
)

// Retry is what a worker service takes from the config's retry section:
// its consumer's policy, the dependency probe interval, and the redriver
// of its transient dead letters.
type Retry struct {
	Policy     bus.RetryPolicy
	ProbeEvery time.Duration
	Redriver   *dlq.Redriver
}

// RetryOf builds the Retry of service, which consumes consumer.
func RetryOf(env *Env, consumer, service string) (Retry, error) {
	r := env.File.Retry
	p := r.For(consumer)
	store, err := dlq.NewStore(dlq.StoreConfig{JS: env.JS, Logger: env.Logger})
	if err != nil {
		return Retry{}, err
	}
	return Retry{
		Policy:     bus.RetryPolicy{Schedule: p.Durations(), Budget: p.Budget.D()},
		ProbeEvery: r.DependencyProbe.D(),
		Redriver: dlq.NewRedriver(store, service, r.RedriveInterval.D(), env.Logger.With("service", service),
			dlq.NewRedriveCounter(env.Registry)),
	}, nil
}
