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

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		base      time.Duration
		delivered uint64
		want      time.Duration
	}{
		{0, 1, 0},
		{0, 9, 0},
		{time.Second, 0, time.Second},
		{time.Second, 1, time.Second},
		{time.Second, 2, 2 * time.Second},
		{time.Second, 4, 8 * time.Second},
		{time.Second, 7, MaxRetryDelay},
		{time.Second, 1 << 40, MaxRetryDelay},
		{2 * MaxRetryDelay, 1, MaxRetryDelay},
	}
	for _, tt := range tests {
		o := Options{RetryDelay: tt.base}
		if got := o.retryDelay(tt.delivered); got != tt.want {
			t.Errorf("retryDelay(base %s, delivered %d) = %s, want %s", tt.base, tt.delivered, got, tt.want)
		}
	}
}
