package bus

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRetryPolicyCountsTimeNotDeliveries(t *testing.T) {
	var p RetryPolicy // the defaults
	var total time.Duration
	for i := 1; i <= len(DefaultRetrySchedule); i++ {
		d := p.Delay(i)
		if max := DefaultRetrySchedule[i-1]; d < max/2 || d > max {
			t.Fatalf("Delay(%d) = %s, want in [%s, %s]", i, d, max/2, max)
		}
		total += DefaultRetrySchedule[i-1]
	}
	if total < time.Hour {
		t.Fatalf("default schedule spans %s, want at least an hour", total)
	}
	if d := p.Delay(50); d > time.Hour {
		t.Fatalf("Delay past the schedule = %s, want the last step", d)
	}
	cases := []struct {
		delivered int
		age       time.Duration
		want      bool
	}{
		{1, 3 * time.Hour, false},                            // old but never retried (waited in a backlog)
		{len(DefaultRetrySchedule) + 1, time.Minute, false},  // many quick deliveries (lock contention)
		{len(DefaultRetrySchedule) + 1, 2 * time.Hour, true}, // schedule spent and budget spent
	}
	for _, c := range cases {
		if got := p.Exhausted(c.delivered, c.age); got != c.want {
			t.Errorf("Exhausted(%d, %s) = %v, want %v", c.delivered, c.age, got, c.want)
		}
	}
}

func TestUnavailableCarriesItsProbe(t *testing.T) {
	if Unavailable("x", nil, nil) != nil {
		t.Fatal("Unavailable(nil) is not nil")
	}
	base := errors.New("dial tcp: refused")
	err := fmt.Errorf("handler: %w", Unavailable("lock store", func(context.Context) error { return nil }, base))
	u, ok := asUnavailable(err)
	if !ok || u.dependency != "lock store" || !errors.Is(err, base) || !errors.Is(err, ErrUnavailable) || IsPermanent(err) {
		t.Fatalf("asUnavailable(%v) = %v, %v", err, u, ok)
	}
}
