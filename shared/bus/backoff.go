package bus

import (
	"math/rand/v2"
	"time"
)

// Transient redelivery delays: full-jitter exponential backoff.
const (
	backoffBase = 100 * time.Millisecond
	backoffCap  = 30 * time.Second
)

// transientDelay returns a delay drawn uniformly from [0, min(cap,
// base·2^(attempt-1))] ("full jitter"): retries of many failed messages
// spread out instead of arriving together.
func transientDelay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	ceiling := backoffCap
	if attempt <= 20 { // 100ms·2^19 already exceeds the cap
		if d := backoffBase << (attempt - 1); d < ceiling {
			ceiling = d
		}
	}
	return rand.N(ceiling + 1)
}
