package demo

import (
	"context"
	"time"

	"github.com/countersign/countersign/tests/sandbox"
)

// Convergence is what Await saw.
type Convergence struct {
	// Converged holds the keys (sandbox.Envelope.Key) whose envelope
	// matched the truth.
	Converged map[string]bool
	// Pending holds, for every key that did not, the last difference
	// (an error wrapping ErrMismatch, ErrNotFound or ErrAdmin).
	Pending map[string]error
}

// Await polls the admin API, every interval, for each envelope of want
// (keyed as sandbox.Sandbox.Truth) that has not yet matched its truth
// (Check), until all have or ctx ends. An envelope that matched once is
// not asked again: states only move forward.
func Await(ctx context.Context, a *Admin, want map[string]sandbox.Expected, interval time.Duration) Convergence {
	c := Convergence{Converged: map[string]bool{}, Pending: map[string]error{}}
	for k := range want {
		c.Pending[k] = ErrNotFound
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for k := range c.Pending {
			if ctx.Err() != nil {
				break
			}
			x := want[k]
			v, gerr := a.Envelope(ctx, x.Tenant, x.EnvelopeID)
			if gerr == nil {
				gerr = Check(x, v)
			}
			if gerr == nil {
				c.Converged[k] = true
				delete(c.Pending, k)
				continue
			}
			// A GET cut short by ctx says less than the difference before it.
			if ctx.Err() == nil {
				c.Pending[k] = gerr
			}
		}
		if len(c.Pending) == 0 {
			return c
		}
		select {
		case <-ctx.Done():
			return c
		case <-tick.C:
		}
	}
}
