package bench

import (
	"testing"
	"time"
)

func TestSummarise(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 1000)
	for i := range hundred {
		hundred[i] = 1000 - i // 1000..1 ms, reversed
	}
	tests := []struct {
		name    string
		samples []time.Duration
		want    Percentiles
	}{
		{"empty", nil, Percentiles{}},
		{"one", ms(5), Percentiles{Count: 1, Mean: 5, P50: 5, P99: 5, P999: 5, Max: 5}},
		{"four", ms(4, 1, 3, 2), Percentiles{Count: 4, Mean: 2.5, P50: 2, P99: 4, P999: 4, Max: 4}},
		{"thousand", ms(hundred...), Percentiles{Count: 1000, Mean: 500.5, P50: 500, P99: 990, P999: 999, Max: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarise(tt.samples); got != tt.want {
				t.Fatalf("Summarise = %+v, want %+v", got, tt.want)
			}
		})
	}
}
