package subscriber

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// Options configures a subscription's durable consumer on ENVELOPES.
type Options struct {
	// Durable names the consumer. Subscribing again with the same name
	// resumes after the last acknowledged entry; several processes using
	// the same name share the work.
	Durable string
	// Tenant limits the subscription to one tenant; "" means all tenants.
	Tenant string
	// Types limits the subscription to these entry types; nil means all.
	Types []envelope.Type
	// DeliverNew starts a new consumer at entries published from now on
	// instead of the beginning of the stream. It only matters the first
	// time a durable is created.
	DeliverNew bool
	// MaxDeliver bounds how often one entry is delivered while the handler
	// keeps failing; 0 means no bound.
	MaxDeliver int
	// AckWait is how long the server waits for the handler before it
	// redelivers an entry (default 30s).
	AckWait time.Duration
	// RetryDelay is the delay before an entry the handler failed on is
	// redelivered; it doubles with every attempt up to MaxRetryDelay.
	// 0 redelivers at once.
	RetryDelay time.Duration
	// Prefetch is how many entries are buffered ahead of the handler
	// (default 64). Buffered entries count against AckWait, so keep it
	// small when the handler is slow.
	Prefetch int
	// Logger receives entries that cannot be decoded and handler panics
	// (default slog.Default()).
	Logger *slog.Logger
}

// MaxRetryDelay caps the growing delay between redeliveries after errors.
const MaxRetryDelay = time.Minute

func (o *Options) validate() error {
	if o.Durable == "" {
		return ErrNoDurable
	}
	// A tenant outside the id syntax could carry subject wildcards or
	// separators into the filter.
	if o.Tenant != "" && !envelope.ValidTenant(o.Tenant) {
		return fmt.Errorf("%w: tenant %q", ErrInvalidOption, o.Tenant)
	}
	for _, t := range o.Types {
		if !t.IsLedger() {
			return fmt.Errorf("%w: type %q", ErrInvalidOption, t)
		}
	}
	if o.MaxDeliver < 0 || o.AckWait < 0 || o.RetryDelay < 0 || o.Prefetch < 0 {
		return fmt.Errorf("%w: negative MaxDeliver, AckWait, RetryDelay or Prefetch", ErrInvalidOption)
	}
	return nil
}

// filterSubjects returns the consumer's filter subjects:
// envelope.<tenant|*>.*.<type|*>, one per type.
func (o *Options) filterSubjects() []string {
	tenant := "*"
	if o.Tenant != "" {
		tenant = o.Tenant
	}
	if len(o.Types) == 0 {
		return []string{envelope.SubjectPrefix + "." + tenant + ".*.*"}
	}
	var subjects []string
	for _, t := range o.Types {
		s := envelope.SubjectPrefix + "." + tenant + ".*." + string(t)
		if !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	return subjects
}

// retryDelay is the delay before delivery number delivered+1 after the
// handler failed on delivery number delivered.
func (o *Options) retryDelay(delivered uint64) time.Duration {
	if o.RetryDelay == 0 {
		return 0
	}
	d := o.RetryDelay
	for i := uint64(1); i < delivered && d < MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, MaxRetryDelay)
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}
