package dedupe_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/dedupe"
	"github.com/countersign/countersign/shared/dedupe/dedupetest"
	"github.com/countersign/countersign/shared/meshtest"
)

func TestRedisConformance(t *testing.T) {
	r := meshtest.StartRedis(t)
	l := dedupe.NewRedis(r.Client)
	dedupetest.Run(t, func(*testing.T) dedupe.Locker { return l })
}

func TestKVConformance(t *testing.T) {
	n := meshtest.StartNATS(t)
	l, err := dedupe.NewKV(context.Background(), n.JS, "locks", time.Minute, 1)
	if err != nil {
		t.Fatal(err)
	}
	dedupetest.Run(t, func(*testing.T) dedupe.Locker { return l })
}

func TestNewKVIdempotent(t *testing.T) {
	n := meshtest.StartNATS(t)
	ctx := context.Background()
	first, err := dedupe.NewKV(ctx, n.JS, "locks", time.Minute, 1)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := first.Acquire(ctx, "k", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	second, err := dedupe.NewKV(ctx, n.JS, "locks", time.Minute, 1)
	if err != nil {
		t.Fatalf("second NewKV: %v", err)
	}
	if _, err := second.Acquire(ctx, "k", time.Minute); !errors.Is(err, dedupe.ErrHeld) {
		t.Fatalf("lock lost across NewKV: err %v", err)
	}
	if err := second.Release(ctx, "k", tok); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidTTL(t *testing.T) {
	n := meshtest.StartNATS(t)
	r := meshtest.StartRedis(t)
	ctx := context.Background()
	if _, err := dedupe.NewKV(ctx, n.JS, "locks", 500*time.Millisecond, 1); !errors.Is(err, dedupe.ErrInvalidTTL) {
		t.Fatalf("NewKV sub-second: err %v, want ErrInvalidTTL", err)
	}
	kv, err := dedupe.NewKV(ctx, n.JS, "locks", time.Minute, 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		l    dedupe.Locker
		ttl  time.Duration
	}{
		{"redis zero", dedupe.NewRedis(r.Client), 0},
		{"kv zero", kv, 0},
		{"kv above bucket max", kv, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.l.Acquire(ctx, "k", tt.ttl); !errors.Is(err, dedupe.ErrInvalidTTL) {
				t.Fatalf("err %v, want ErrInvalidTTL", err)
			}
		})
	}
}

// Calls made together share round trips: 400 callers on 200 keys (two
// per key) at once, a fifth of them giving up before their answer, and
// afterwards every key's lock is held by exactly one caller that was told
// so — or by none, when the winner gave up (its lock expires with the
// TTL; checked by taking it after a release with its token fails).
func TestRedisBatchesConcurrentCalls(t *testing.T) {
	r := meshtest.StartRedis(t)
	l := dedupe.NewRedis(r.Client)
	const keys = 200
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		tokens = map[string][]string{}
		errs   []error
	)
	for i := range 2 * keys {
		wg.Go(func() {
			ctx := context.Background()
			if i%5 == 0 {
				c, cancel := context.WithCancel(ctx)
				cancel() // gives up at once: answered or withdrawn, never stuck
				ctx = c
			}
			key := "batch:" + strconv.Itoa(i%keys)
			tok, err := l.Acquire(ctx, key, time.Minute)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				tokens[key] = append(tokens[key], tok)
			case errors.Is(err, dedupe.ErrHeld), errors.Is(err, context.Canceled):
			default:
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	ctx := context.Background()
	for key, toks := range tokens {
		if len(toks) != 1 {
			t.Fatalf("%s: %d callers were told they hold it", key, len(toks))
		}
		held, err := r.Client.Get(ctx, key).Result()
		if err != nil || held != toks[0] {
			t.Fatalf("%s holds %q (err %v), the winner was told %q", key, held, err, toks[0])
		}
		if err := l.Release(ctx, key, toks[0]); err != nil {
			t.Fatal(err)
		}
		if n, _ := r.Client.Exists(ctx, key).Result(); n != 0 {
			t.Fatalf("%s still held after its release", key)
		}
	}
	if len(tokens) < keys/2 {
		t.Fatalf("only %d of %d keys were won by a caller that waited", len(tokens), keys)
	}
}
