// Package incident decides when a provider is in trouble — its callbacks
// have gone silent, its tenant's dead letters grow, its API fails — so
// that the reconciler polls it more often until calm returns. It is pure:
// observations in, a verdict out.
package incident

import "time"

// Defaults of a Detector's knobs.
const (
	// DefaultSilenceFactor: silence is this many usual gaps without a
	// callback.
	DefaultSilenceFactor = 10
	// DefaultMinSilence: a gap shorter than this is never silence, however
	// busy the provider usually is (bursts end).
	DefaultMinSilence = 5 * time.Minute
	// smoothing is the weight of a new sample in the usual gap (EWMA).
	smoothing = 0.2
)

// Signals is one observation of a (tenant, provider).
type Signals struct {
	// At is when the observation was made.
	At time.Time
	// Callbacks counts the provider's callbacks stored so far (RAW).
	Callbacks uint64
	// LastCallback is when the latest was stored (zero: none yet).
	LastCallback time.Time
	// DeadLetters counts the tenant's dead letters so far (DLQ).
	DeadLetters uint64
	// APIFailed is set when the last poll's API calls failed.
	APIFailed bool
}

// Reason says why a provider is in incident mode ("" when calm).
type Reason string

// Reasons, in the order Observe checks them.
const (
	ReasonNone    Reason = ""
	ReasonAPI     Reason = "api_errors"
	ReasonDLQ     Reason = "dlq_growth"
	ReasonSilence Reason = "callbacks_silent"
)

// Detector follows one (tenant, provider). The zero value is not ready:
// use New.
type Detector struct {
	silenceFactor float64
	minSilence    time.Duration
	prev          Signals
	seen          bool
	// gap is the usual time between callbacks (0 until measured).
	gap time.Duration
}

// New returns a Detector; zero arguments take the defaults.
func New(silenceFactor float64, minSilence time.Duration) *Detector {
	if silenceFactor <= 0 {
		silenceFactor = DefaultSilenceFactor
	}
	if minSilence <= 0 {
		minSilence = DefaultMinSilence
	}
	return &Detector{silenceFactor: silenceFactor, minSilence: minSilence}
}

// Observe takes a new observation and returns why the provider is in
// incident mode, or ReasonNone when all is calm. Counters that go down
// (a stream purged, a server replaced) start the comparison afresh.
func (d *Detector) Observe(s Signals) Reason {
	prev, seen := d.prev, d.seen
	d.prev, d.seen = s, true
	if seen && s.Callbacks > prev.Callbacks && s.At.After(prev.At) {
		sample := s.At.Sub(prev.At) / time.Duration(s.Callbacks-prev.Callbacks)
		if d.gap == 0 {
			d.gap = sample
		} else {
			d.gap = time.Duration((1-smoothing)*float64(d.gap) + smoothing*float64(sample))
		}
	}
	switch {
	case s.APIFailed:
		return ReasonAPI
	case seen && s.DeadLetters > prev.DeadLetters:
		return ReasonDLQ
	case d.silent(s):
		return ReasonSilence
	}
	return ReasonNone
}

// silent reports whether the provider has gone quiet for much longer than
// its usual gap. A provider never heard from is not silent: there is no
// usual rate to fall short of.
func (d *Detector) silent(s Signals) bool {
	if d.gap == 0 || s.LastCallback.IsZero() {
		return false
	}
	limit := time.Duration(d.silenceFactor * float64(d.gap))
	limit = max(limit, d.minSilence)
	return s.At.Sub(s.LastCallback) > limit
}

// Interval picks the poll interval: the incident interval while there is
// a reason, else the calm one.
func Interval(r Reason, calm, incident time.Duration) time.Duration {
	if r != ReasonNone {
		return incident
	}
	return calm
}
