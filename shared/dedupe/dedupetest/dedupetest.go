// Package dedupetest is the conformance suite every dedupe.Locker passes.
package dedupetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/dedupe"
	"github.com/countersign/countersign/shared/meshtest"
)

// ExpiryTTL is the lease the expiry case takes: the KV locker counts TTLs
// in whole seconds, so one second is the shortest both stores honour.
const ExpiryTTL = time.Second

// Run runs the conformance suite; newLocker returns a Locker on a fresh or
// shared store (every case uses its own keys).
func Run(t *testing.T, newLocker func(t *testing.T) dedupe.Locker) {
	t.Helper()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, l dedupe.Locker, key string)
	}{
		{"acquire then held", func(t *testing.T, l dedupe.Locker, key string) {
			tok := mustAcquire(t, l, key, time.Minute)
			if tok == "" {
				t.Fatal("empty token")
			}
			if _, err := l.Acquire(ctx, key, time.Minute); !errors.Is(err, dedupe.ErrHeld) {
				t.Fatalf("second Acquire: err %v, want ErrHeld", err)
			}
		}},
		{"release frees the key", func(t *testing.T, l dedupe.Locker, key string) {
			tok := mustAcquire(t, l, key, time.Minute)
			if err := l.Release(ctx, key, tok); err != nil {
				t.Fatalf("Release: %v", err)
			}
			tok2 := mustAcquire(t, l, key, time.Minute)
			if tok2 == tok {
				t.Fatalf("tokens repeat: %q", tok)
			}
		}},
		{"release with a wrong token keeps the lock", func(t *testing.T, l dedupe.Locker, key string) {
			tok := mustAcquire(t, l, key, time.Minute)
			if err := l.Release(ctx, key, "not-"+tok); err != nil {
				t.Fatalf("Release wrong token: %v", err)
			}
			if _, err := l.Acquire(ctx, key, time.Minute); !errors.Is(err, dedupe.ErrHeld) {
				t.Fatalf("Acquire after wrong release: err %v, want ErrHeld", err)
			}
			if err := l.Release(ctx, key, tok); err != nil {
				t.Fatalf("Release: %v", err)
			}
			mustAcquire(t, l, key, time.Minute)
		}},
		{"release of a never-held key is not an error", func(t *testing.T, l dedupe.Locker, key string) {
			if err := l.Release(ctx, key, "whatever"); err != nil {
				t.Fatalf("Release: %v", err)
			}
		}},
		{"expiry lets another acquire", func(t *testing.T, l dedupe.Locker, key string) {
			old := mustAcquire(t, l, key, ExpiryTTL)
			var tok string
			meshtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
				var err error
				tok, err = l.Acquire(ctx, key, time.Minute)
				return err
			})
			// The expired holder's release must not free the new lease.
			if err := l.Release(ctx, key, old); err != nil {
				t.Fatalf("late Release: %v", err)
			}
			if _, err := l.Acquire(ctx, key, time.Minute); !errors.Is(err, dedupe.ErrHeld) {
				t.Fatalf("Acquire after late release: err %v, want ErrHeld", err)
			}
			if err := l.Release(ctx, key, tok); err != nil {
				t.Fatalf("Release: %v", err)
			}
		}},
		{"concurrent acquirers: exactly one wins", func(t *testing.T, l dedupe.Locker, key string) {
			const n = 16
			var (
				wg          sync.WaitGroup
				mu          sync.Mutex
				wins, helds int
				otherErrs   []error
				start       = make(chan struct{})
			)
			for range n {
				wg.Go(func() {
					<-start
					_, err := l.Acquire(ctx, key, time.Minute)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						wins++
					case errors.Is(err, dedupe.ErrHeld):
						helds++
					default:
						otherErrs = append(otherErrs, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if wins != 1 || helds != n-1 || len(otherErrs) > 0 {
				t.Fatalf("wins %d, held %d, errors %v; want 1, %d, none", wins, helds, otherErrs, n-1)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLocker(t)
			tt.run(t, l, fmt.Sprintf("conformance:%s:%d:event/ä.*>", t.Name(), i))
		})
	}
}

func mustAcquire(t *testing.T, l dedupe.Locker, key string, ttl time.Duration) string {
	t.Helper()
	tok, err := l.Acquire(context.Background(), key, ttl)
	if err != nil {
		t.Fatalf("Acquire %s: %v", key, err)
	}
	return tok
}
