package process

import (
	"context"

	"github.com/countersign/countersign/shared/dlq"
)

// BuildFunc builds a process's service(s) over env.
type BuildFunc func(ctx context.Context, env *Env) (Runner, error)

// WithDeadLetters makes build's process also run the MAX_DELIVERIES
// watcher (dlq.Watcher): a worker that crashes on a message at every
// delivery never dead-letters it itself, so every process that runs a
// worker runs one — the all-in-one and each standalone worker alike.
// Replicas share the advisories through a queue group, and the entry's
// id comes from the consumer and stream sequence, so a message is
// dead-lettered once however many watchers run.
func WithDeadLetters(build BuildFunc) BuildFunc {
	return func(ctx context.Context, env *Env) (Runner, error) {
		r, err := build(ctx, env)
		if err != nil {
			return nil, err
		}
		watch, err := dlq.NewWatcher(dlq.WatcherConfig{
			NC: env.NC, JS: env.JS, Logger: env.Logger.With("service", "dlq"), Metrics: env.WorkerMetrics,
		})
		if err != nil {
			return nil, err
		}
		return Group{r, watch}, nil
	}
}
