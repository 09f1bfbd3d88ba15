package bus

import (
	"errors"
	"time"
)

// Sentinel errors returned (wrapped) by this package; test them with errors.Is.
var (
	// ErrInvalidConfig is returned by NewWorker for a WorkerConfig that
	// names no service, stream or consumer, or has negative limits.
	ErrInvalidConfig = errors.New("bus: invalid worker config")
	// ErrBadRaw is returned by DecodeRaw for a message that is not a raw
	// callback written by EncodeRaw (missing tenant, provider or method,
	// unparsable receive time or query).
	ErrBadRaw = errors.New("bus: malformed raw callback message")
	// ErrPanic is wrapped by the error Recover returns for a handler that
	// panicked.
	ErrPanic = errors.New("bus: handler panicked")
)

// Error classes, as stored in DeadLetter.ErrorClass and used as metric
// labels.
const (
	// ClassTransient: the handler kept failing with transient errors until
	// the consumer's last delivery.
	ClassTransient = "transient"
	// ClassPermanent: the handler returned Permanent.
	ClassPermanent = "permanent"
	// ClassPanic: the handler panicked (recovered by Recover).
	ClassPanic = "panic"
)

// classified is an error with a verdict attached: permanent (with a DLQ
// class) or transient with an explicit redelivery delay.
type classified struct {
	err       error
	class     string        // ClassPermanent or ClassPanic; "" for Retry
	after     time.Duration // Retry's delay
	permanent bool
}

func (e *classified) Error() string { return e.err.Error() }
func (e *classified) Unwrap() error { return e.err }

// Permanent marks err as permanent: the worker writes the message to the
// DLQ at once and Terms it. Retrying cannot help (bad payload, failed
// authentication, a 4xx other than 429). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, class: ClassPermanent, permanent: true}
}

// panicked marks err as a permanent error of class panic.
func panicked(err error) error {
	return &classified{err: err, class: ClassPanic, permanent: true}
}

// IsPermanent reports whether err (or an error it wraps) was marked by
// Permanent or comes from a recovered panic.
func IsPermanent(err error) bool {
	var c *classified
	return errors.As(err, &c) && c.permanent
}

// Retry marks err as transient with an explicit redelivery delay (a held
// lock, a CAS conflict, a provider's Retry-After). Retry(nil, d) is nil.
func Retry(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	if after < 0 {
		after = 0
	}
	return &classified{err: err, after: after}
}

// ErrorClass returns the DLQ class of a handler error: ClassPanic,
// ClassPermanent, or ClassTransient for every other non-nil error; "" for nil.
func ErrorClass(err error) string {
	if err == nil {
		return ""
	}
	var c *classified
	if errors.As(err, &c) && c.permanent {
		return c.class
	}
	return ClassTransient
}

// retryAfter returns Retry's delay and true when err carries one.
func retryAfter(err error) (time.Duration, bool) {
	var c *classified
	if errors.As(err, &c) && !c.permanent {
		return c.after, true
	}
	return 0, false
}
