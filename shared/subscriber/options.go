package subscriber

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// Defaults of Options: bounded and spaced, so a handler that keeps failing
// costs a handful of calls, not thousands a second, and ends in GiveUp.
const (
	DefaultMaxDeliver    = 5
	DefaultRetryDelay    = time.Second
	DefaultMaxRetryDelay = time.Minute
	DefaultAckWait       = 30 * time.Second
	DefaultPrefetch      = 64
	DefaultStopGrace     = 30 * time.Second
)

// GiveUpFunc is called once for an entry the subscription stops trying:
// the handler failed on its last delivery (err is the handler's error), or
// the message is not a ledger entry (err wraps ErrUndecodable). The entry
// is then terminated on the server. Record it somewhere durable — your own
// dead-letter table, an alert — so nothing is dropped silently.
type GiveUpFunc func(ctx context.Context, m *Message, err error)

// Options configures a subscription's durable consumer on ENVELOPES.
// The zero value of every field but Durable is a safe default.
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
	// MaxDeliver bounds deliveries of one entry (default 5); after the
	// last failed one, GiveUp is called. -1 means no bound (the handler
	// is retried forever, still spaced by the backoff).
	MaxDeliver int
	// AckWait is how long the server waits for a verdict before it
	// redelivers (default 30s). While a handler runs, the subscription
	// tells the server it is in progress every AckWait/2, so a slow handler
	// is not run twice; AckWait bounds how soon a crashed process's entries
	// come back.
	AckWait time.Duration
	// RetryDelay is the delay before the first redelivery after a handler
	// error (default 1s); it doubles with every attempt up to MaxRetryDelay
	// (default 1m), and each delay is drawn at random from its upper half
	// so that many failing subscribers do not retry in lockstep.
	RetryDelay, MaxRetryDelay time.Duration
	// Prefetch is how many entries are buffered ahead of the handler
	// (default 64). Stop hands buffered entries back at once.
	Prefetch int
	// StopGrace is how long Stop lets a running handler finish before its
	// context is cancelled (default 30s).
	StopGrace time.Duration
	// WaitForStream makes Subscribe wait, until its context is done, for
	// the ENVELOPES stream to exist (countersign not started yet) instead
	// of failing with jetstream.ErrStreamNotFound.
	WaitForStream bool
	// GiveUp receives every entry the subscription gives up on; nil logs
	// it at error level with its subject, sequence and error.
	GiveUp GiveUpFunc
	// Logger receives handler errors (warn), give-ups (error) and panics
	// (default slog.Default()).
	Logger *slog.Logger
}

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
		if !t.Valid() && t != envelope.TypeStale && t != envelope.TypeConflict {
			return fmt.Errorf("%w: type %q", ErrInvalidOption, t)
		}
	}
	if o.MaxDeliver < -1 || o.AckWait < 0 || o.RetryDelay < 0 || o.MaxRetryDelay < 0 || o.Prefetch < 0 || o.StopGrace < 0 {
		return fmt.Errorf("%w: negative MaxDeliver (other than -1), AckWait, RetryDelay, MaxRetryDelay, Prefetch or StopGrace", ErrInvalidOption)
	}
	return nil
}

// withDefaults returns o with every zero field at its default.
func (o Options) withDefaults() Options {
	if o.MaxDeliver == 0 {
		o.MaxDeliver = DefaultMaxDeliver
	}
	if o.AckWait == 0 {
		o.AckWait = DefaultAckWait
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.MaxRetryDelay == 0 {
		o.MaxRetryDelay = DefaultMaxRetryDelay
	}
	o.MaxRetryDelay = max(o.MaxRetryDelay, o.RetryDelay)
	if o.Prefetch == 0 {
		o.Prefetch = DefaultPrefetch
	}
	if o.StopGrace == 0 {
		o.StopGrace = DefaultStopGrace
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
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
// handler failed on delivery number delivered: RetryDelay doubled per
// earlier attempt, capped at MaxRetryDelay, drawn from [d/2, d].
func (o *Options) retryDelay(delivered int) time.Duration {
	d := o.RetryDelay
	for i := 1; i < delivered && d < o.MaxRetryDelay; i++ {
		d *= 2
	}
	d = min(d, o.MaxRetryDelay)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}
