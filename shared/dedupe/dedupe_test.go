package dedupe_test

import (
	"context"
	"errors"
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
