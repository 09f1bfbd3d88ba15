// Package dedupe provides lease locks that keep two workers from handling
// one event at once: Redis (SET NX PX, compare-and-delete release) in
// production, and a JetStream KV bucket when no Redis is configured. Both
// pass the conformance suite in dedupetest.
package dedupe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Locker is a lease lock per key (one per (consumer, event id)).
type Locker interface {
	// Acquire takes key for ttl and returns the token that proves
	// ownership. It returns an error wrapping ErrHeld if someone else
	// holds key, or wrapping ErrInvalidTTL for a ttl the store cannot keep.
	Acquire(ctx context.Context, key string, ttl time.Duration) (token string, err error)
	// Release deletes key only if it still holds token (compare-and-
	// delete). Releasing a lock that expired or was taken over is not an
	// error.
	Release(ctx context.Context, key, token string) error
}

// newToken returns 128 random bits, hex encoded.
func newToken() string {
	var b [16]byte
	// crypto/rand.Read never fails (it panics on a broken kernel source).
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
