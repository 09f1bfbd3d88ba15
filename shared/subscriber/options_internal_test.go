package subscriber

import (
	"slices"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

func TestFilterSubjects(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"everything", Options{}, []string{"envelope.*.*.*"}},
		{"one tenant", Options{Tenant: "acme"}, []string{"envelope.acme.*.*"}},
		{"types", Options{Types: []envelope.Type{envelope.TypeCompleted, envelope.TypeVoided}},
			[]string{"envelope.*.*.completed", "envelope.*.*.voided"}},
		{"duplicate types collapse", Options{Tenant: "acme", Types: []envelope.Type{envelope.TypeSent, envelope.TypeSent}},
			[]string{"envelope.acme.*.sent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.opts.filterSubjects(); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// The backoff grows from RetryDelay, is capped, and is jittered within
// the upper half of each step.
func TestRetryDelay(t *testing.T) {
	tests := []struct {
		base, maxDelay time.Duration
		delivered      int
		want           time.Duration // the step; the delay lies in [want/2, want]
	}{
		{time.Second, time.Minute, 0, time.Second},
		{time.Second, time.Minute, 1, time.Second},
		{time.Second, time.Minute, 2, 2 * time.Second},
		{time.Second, time.Minute, 4, 8 * time.Second},
		{time.Second, time.Minute, 7, time.Minute},
		{time.Second, time.Minute, 1 << 40, time.Minute},
		{2 * time.Minute, time.Minute, 1, 2 * time.Minute}, // a cap below the base is raised to it
		{0, 0, 3, 4 * DefaultRetryDelay},                   // defaults
	}
	for _, tt := range tests {
		o := Options{RetryDelay: tt.base, MaxRetryDelay: tt.maxDelay}.withDefaults()
		seen := map[time.Duration]bool{}
		for range 200 {
			got := o.retryDelay(tt.delivered)
			if got < tt.want/2 || got > tt.want {
				t.Fatalf("retryDelay(base %s, delivered %d) = %s, want within [%s, %s]", tt.base, tt.delivered, got, tt.want/2, tt.want)
			}
			seen[got] = true
		}
		if len(seen) < 2 {
			t.Errorf("retryDelay(base %s, delivered %d) is not jittered: always %v", tt.base, tt.delivered, seen)
		}
	}
}

func TestDefaultsAreBounded(t *testing.T) {
	o := Options{Durable: "x"}.withDefaults()
	if o.MaxDeliver != DefaultMaxDeliver || o.MaxDeliver <= 0 || o.RetryDelay <= 0 || o.AckWait <= 0 || o.StopGrace <= 0 {
		t.Fatalf("defaults %+v", o)
	}
}
