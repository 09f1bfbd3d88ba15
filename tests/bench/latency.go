package bench

import (
	"math"
	"slices"
	"time"
)

// Percentiles summarises a set of latencies, in milliseconds so that the
// JSON reads without unit conversion.
type Percentiles struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// Summarise sorts samples in place and returns their percentiles
// (nearest-rank). An empty set gives the zero Percentiles.
func Summarise(samples []time.Duration) Percentiles {
	if len(samples) == 0 {
		return Percentiles{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	return Percentiles{
		Count: len(samples),
		Mean:  ms(sum / time.Duration(len(samples))),
		P50:   ms(rank(samples, 0.50)),
		P99:   ms(rank(samples, 0.99)),
		P999:  ms(rank(samples, 0.999)),
		Max:   ms(samples[len(samples)-1]),
	}
}

// rank is the nearest-rank percentile q of sorted samples.
func rank(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
