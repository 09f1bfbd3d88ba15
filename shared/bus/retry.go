package bus

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// DefaultRetrySchedule is the transient redelivery schedule when a worker
// is given none: from seconds to an hour, about 1 h 51 min in all, so an
// outage shorter than that costs a handful of deliveries and no DLQ entry.
var DefaultRetrySchedule = []time.Duration{
	2 * time.Second, 15 * time.Second, time.Minute, 5 * time.Minute,
	15 * time.Minute, 30 * time.Minute, time.Hour,
}

// DefaultRetryBudget: a transient error dead-letters a message only once
// it is older than this.
const DefaultRetryBudget = 2 * time.Hour

// RetryPolicy decides what a transient error costs: how long until the
// next delivery, and when to give up. It counts time, not deliveries: a
// lock held by a peer or a lost compare-and-set also uses deliveries, and
// an outage of a dependency lasts as long as it lasts, not as long as ten
// quick retries take.
type RetryPolicy struct {
	// Schedule[i] is the delay after the (i+1)-th delivery failed; the last
	// step repeats. Each delay is jittered into [d/2, d] so that messages
	// failed together do not return together. Default DefaultRetrySchedule.
	Schedule []time.Duration
	// Budget: a transient failure dead-letters a message only when the
	// message is older than Budget and has been delivered more times than
	// Schedule has steps (a message that waited in a backlog still gets
	// its retries). Default DefaultRetryBudget.
	Budget time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if len(p.Schedule) == 0 {
		p.Schedule = DefaultRetrySchedule
	}
	if p.Budget <= 0 {
		p.Budget = DefaultRetryBudget
	}
	return p
}

// Delay is the redelivery delay after delivery number delivered failed.
func (p RetryPolicy) Delay(delivered int) time.Duration {
	p = p.withDefaults()
	i := min(max(delivered-1, 0), len(p.Schedule)-1)
	d := p.Schedule[i]
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Exhausted reports whether a transient failure of delivery number
// delivered, of a message stored age ago, should dead-letter it.
func (p RetryPolicy) Exhausted(delivered int, age time.Duration) bool {
	p = p.withDefaults()
	return delivered > len(p.Schedule) && age >= p.Budget
}

// ErrUnavailable is wrapped by Unavailable errors.
var ErrUnavailable = errors.New("bus: dependency unavailable")

// unavailable marks a dependency outage: which one, and how to tell that
// it is back.
type unavailable struct {
	err        error
	dependency string
	probe      func(context.Context) error
}

func (e *unavailable) Error() string { return e.err.Error() }
func (e *unavailable) Unwrap() []error {
	return []error{e.err, ErrUnavailable}
}

// Unavailable marks err as caused by an outage of dependency (the lock
// store, …) that every message of the consumer needs. The worker then
// pauses its consumer instead of burning every message's deliveries —
// on the server, so every replica stops being fed — and probes until
// probe returns nil; then it resumes, and its OnResume hook (the DLQ
// re-drive) runs. The message itself is redelivered after the pause and
// is never dead-lettered for it. Unavailable(nil, …) is nil.
func Unavailable(dependency string, probe func(context.Context) error, err error) error {
	if err == nil {
		return nil
	}
	return &unavailable{err: err, dependency: dependency, probe: probe}
}

// asUnavailable returns the outage err marks, if any.
func asUnavailable(err error) (*unavailable, bool) {
	var u *unavailable
	if errors.As(err, &u) && u.probe != nil {
		return u, true
	}
	return nil, false
}
