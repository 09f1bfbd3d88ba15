package bus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nuid"

	"github.com/countersign/countersign/shared/dedupe"
)

// releaseTimeout bounds a lock release; it runs even when the handler's
// context is cancelled, since a lock left behind blocks others for its TTL.
const releaseTimeout = 5 * time.Second

// Dedupe runs the handler under a lease lock "<consumer>:<key(m)>", so two
// deliveries of one event (a provider retry, a redelivery after AckWait)
// are never handled at once. When another holder has the lock the message
// is nak'ed with a delay (Retry), never acked: the holder may crash, and
// then this delivery must still do the work. The lock is released with
// compare-and-delete after the handler. Retry delays fall in [ttl/4,
// ttl/2], so a consumer's deliveries outlast a crashed holder's TTL.
// Messages whose key is "" run without a lock. A failing lock store is a
// dependency outage (Unavailable): the worker pauses until it is back.
func Dedupe(locker dedupe.Locker, consumer string, ttl time.Duration, key func(*Message) string) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, m *Message) error {
			k := key(m)
			if k == "" {
				return next(ctx, m)
			}
			lockKey := consumer + ":" + k
			token, err := locker.Acquire(ctx, lockKey, ttl)
			if errors.Is(err, dedupe.ErrHeld) {
				return Retry(fmt.Errorf("bus: dedupe lock %s: %w", lockKey, err), heldDelay(ttl))
			}
			if err != nil {
				// The lock store is down: every message needs it, so the
				// worker pauses the consumer until a probe lock succeeds.
				return Unavailable("lock store", lockProbe(locker, consumer), fmt.Errorf("bus: dedupe lock %s: %w", lockKey, err))
			}
			defer func() {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
				defer cancel()
				// A failed release expires with the TTL; the verdict stands.
				_ = locker.Release(rctx, lockKey, token)
			}()
			return next(ctx, m)
		}
	}
}

// lockProbe takes and releases a probe lock: the lock store is back when
// that works.
func lockProbe(locker dedupe.Locker, consumer string) func(context.Context) error {
	return func(ctx context.Context) error {
		key := consumer + ":probe:" + nuid.Next()
		token, err := locker.Acquire(ctx, key, time.Second)
		if err != nil {
			return err
		}
		return locker.Release(ctx, key, token)
	}
}

// heldDelay returns a delay in [ttl/4, ttl/2].
func heldDelay(ttl time.Duration) time.Duration {
	q := ttl / 4
	if q <= 0 {
		return 0
	}
	return q + rand.N(q+1)
}
