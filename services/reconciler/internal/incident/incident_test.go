package incident

import (
	"testing"
	"time"
)

func TestDetector(t *testing.T) {
	t0 := time.Date(2026, 1, 13, 8, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name string
		obs  []Signals
		want []Reason
	}{
		{
			name: "steady traffic is calm",
			obs: []Signals{
				{At: at(0), Callbacks: 0},
				{At: at(time.Minute), Callbacks: 60, LastCallback: at(time.Minute)},
				{At: at(2 * time.Minute), Callbacks: 120, LastCallback: at(2 * time.Minute)},
			},
			want: []Reason{ReasonNone, ReasonNone, ReasonNone},
		},
		{
			name: "silence beyond the usual rate, then calm again",
			obs: []Signals{
				{At: at(0), Callbacks: 0},
				{At: at(time.Minute), Callbacks: 60, LastCallback: at(time.Minute)},
				{At: at(5 * time.Minute), Callbacks: 60, LastCallback: at(time.Minute)},
				{At: at(7 * time.Minute), Callbacks: 60, LastCallback: at(time.Minute)},
				{At: at(8 * time.Minute), Callbacks: 120, LastCallback: at(8 * time.Minute)},
			},
			want: []Reason{ReasonNone, ReasonNone, ReasonNone, ReasonSilence, ReasonNone},
		},
		{
			name: "a provider never heard from is not silent",
			obs:  []Signals{{At: at(0)}, {At: at(48 * time.Hour)}},
			want: []Reason{ReasonNone, ReasonNone},
		},
		{
			name: "dead letters growing",
			obs: []Signals{
				{At: at(0), DeadLetters: 3},
				{At: at(time.Minute), DeadLetters: 5},
				{At: at(2 * time.Minute), DeadLetters: 5},
			},
			want: []Reason{ReasonNone, ReasonDLQ, ReasonNone},
		},
		{
			name: "api failing wins",
			obs:  []Signals{{At: at(0), APIFailed: true}, {At: at(time.Minute), DeadLetters: 1, APIFailed: true}, {At: at(2 * time.Minute)}},
			want: []Reason{ReasonAPI, ReasonAPI, ReasonNone},
		},
		{
			name: "a purged DLQ is not growth",
			obs:  []Signals{{At: at(0), DeadLetters: 9}, {At: at(time.Minute), DeadLetters: 0}},
			want: []Reason{ReasonNone, ReasonNone},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(0, 0)
			for i, s := range tt.obs {
				if got := d.Observe(s); got != tt.want[i] {
					t.Fatalf("observation %d: %q, want %q", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestInterval(t *testing.T) {
	tests := []struct {
		r    Reason
		want time.Duration
	}{
		{ReasonNone, 5 * time.Minute},
		{ReasonAPI, time.Minute},
		{ReasonSilence, time.Minute},
	}
	for _, tt := range tests {
		if got := Interval(tt.r, 5*time.Minute, time.Minute); got != tt.want {
			t.Errorf("Interval(%q) = %s, want %s", tt.r, got, tt.want)
		}
	}
}
