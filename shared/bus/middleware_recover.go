package bus

import (
	"context"
	"fmt"
	"runtime/debug"
)

// Recover turns a handler panic into a permanent error of class panic
// (wrapping ErrPanic, with the panic value and stack), so the message is
// dead-lettered and the process lives on. NewWorker always installs it
// outermost.
func Recover() Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, m *Message) (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = panicked(fmt.Errorf("%w: %v\n%s", ErrPanic, r, debug.Stack()))
				}
			}()
			return next(ctx, m)
		}
	}
}
