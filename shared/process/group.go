package process

import (
	"context"
	"errors"
)

// RunFunc adapts a function to Runner.
type RunFunc func(ctx context.Context) error

// Run calls f.
func (f RunFunc) Run(ctx context.Context) error { return f(ctx) }

// Group runs several runners as one: all stop when ctx is done or when any
// of them fails, and Run returns once every one has returned (so in-flight
// work finishes before the NATS connection is drained).
type Group []Runner

// Run runs every member until ctx is done or one fails.
func (g Group) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errc := make(chan error, len(g))
	for _, r := range g {
		go func() {
			err := r.Run(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				cancel(err)
			}
			errc <- err
		}()
	}
	var errs []error
	for range g {
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
