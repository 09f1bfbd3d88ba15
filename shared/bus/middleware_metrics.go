package bus

import (
	"context"
	"time"
)

// WithMetrics counts each handler result by outcome and observes its
// duration, labelled with the worker's service. A panic is counted and
// re-raised for Recover (installed outside it) to handle. A nil m
// records nothing.
func WithMetrics(m *Metrics) Middleware {
	return func(next Handler) Handler {
		if m == nil {
			return next
		}
		return func(ctx context.Context, msg *Message) (err error) {
			start := time.Now()
			panicking := true
			defer func() {
				outcome := OutcomeAck
				switch {
				case panicking:
					outcome = OutcomePanic
				case err != nil:
					outcome = ErrorClass(err)
				}
				m.Processed.WithLabelValues(msg.service, outcome).Inc()
				m.HandlerSeconds.WithLabelValues(msg.service).Observe(time.Since(start).Seconds())
			}()
			err = next(ctx, msg)
			panicking = false
			return err
		}
	}
}
