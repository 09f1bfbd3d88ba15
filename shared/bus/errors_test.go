package bus

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestErrorClassification(t *testing.T) {
	base := errors.New("x")
	tests := []struct {
		name      string
		err       error
		permanent bool
		class     string
		after     time.Duration
		hasAfter  bool
	}{
		{"nil", nil, false, "", 0, false},
		{"plain", base, false, ClassTransient, 0, false},
		{"permanent", Permanent(base), true, ClassPermanent, 0, false},
		{"wrapped permanent", fmt.Errorf("ctx: %w", Permanent(base)), true, ClassPermanent, 0, false},
		{"panic", panicked(base), true, ClassPanic, 0, false},
		{"retry", Retry(base, time.Second), false, ClassTransient, time.Second, true},
		{"retry negative", Retry(base, -time.Second), false, ClassTransient, 0, true},
		{"permanent nil", Permanent(nil), false, "", 0, false},
		{"retry nil", Retry(nil, time.Second), false, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent = %v", got)
			}
			if got := ErrorClass(tt.err); got != tt.class {
				t.Errorf("ErrorClass = %q", got)
			}
			after, ok := retryAfter(tt.err)
			if ok != tt.hasAfter || after != tt.after {
				t.Errorf("retryAfter = %s, %v", after, ok)
			}
			if tt.err != nil && !errors.Is(tt.err, base) {
				t.Errorf("%v does not wrap its cause", tt.err)
			}
		})
	}
}

func TestTransientDelayBounds(t *testing.T) {
	tests := []struct {
		attempt int
		max     time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{5, 1600 * time.Millisecond},
		{9, 25600 * time.Millisecond},
		{10, 30 * time.Second},
		{64, 30 * time.Second},
		{1 << 30, 30 * time.Second},
	}
	for _, tt := range tests {
		var sawUpperHalf bool
		for range 200 {
			d := transientDelay(tt.attempt)
			if d < 0 || d > tt.max {
				t.Fatalf("attempt %d: delay %s outside [0, %s]", tt.attempt, d, tt.max)
			}
			sawUpperHalf = sawUpperHalf || d > tt.max/2
		}
		if !sawUpperHalf {
			t.Errorf("attempt %d: 200 draws all below %s: not full jitter", tt.attempt, tt.max/2)
		}
	}
}

func TestHeldDelayBounds(t *testing.T) {
	for _, ttl := range []time.Duration{0, time.Millisecond, 400 * time.Millisecond, 30 * time.Second} {
		for range 100 {
			d := heldDelay(ttl)
			if d < ttl/4 || d > ttl/2 {
				t.Fatalf("ttl %s: delay %s outside [ttl/4, ttl/2]", ttl, d)
			}
		}
	}
}
