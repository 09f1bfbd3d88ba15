package ingress

import (
	"time"

	"golang.org/x/time/rate"

	"github.com/countersign/countersign/shared/config"
)

// limiter is a tenant's token bucket.
type limiter struct{ l *rate.Limiter }

func newLimiter(c config.RateLimit) *limiter {
	return &limiter{l: rate.NewLimiter(rate.Limit(c.Rate), c.Burst)}
}

// allow takes a token, or says how long until one would be there.
func (l *limiter) allow() (time.Duration, bool) {
	now := time.Now()
	r := l.l.ReserveN(now, 1)
	if !r.OK() {
		return time.Second, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}
