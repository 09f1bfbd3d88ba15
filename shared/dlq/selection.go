package dlq

import (
	"fmt"
	"time"
)

// ClassMaxDeliveries is the DLQ class of a message whose consumer ran out
// of deliveries without a verdict (the worker crashed or hung on it),
// written by Watcher. The worker's own classes are bus.ClassTransient,
// bus.ClassPermanent and bus.ClassPanic.
const ClassMaxDeliveries = "max_deliveries"

// Limits of one request.
const (
	// DefaultLimit is List's page size when Filter.Limit is 0.
	DefaultLimit = 100
	// MaxLimit caps Filter.Limit.
	MaxLimit = 1000
	// MaxReplay caps the messages one Replay or ReplayRaw call republishes;
	// Result.Truncated tells the caller to call again (already-replayed
	// DLQ entries are skipped, so a repeated call moves on).
	MaxReplay = 10000
)

// Filter selects DLQ entries. Empty fields match everything.
type Filter struct {
	// Tenant and Service select the DLQ subject dlq.<service>.<tenant>.
	Tenant, Service string
	// Class is the error class (bus.ClassPermanent, ClassMaxDeliveries…).
	Class string
	// Since and Until bound DeadAt, both inclusive; zero is open.
	Since, Until time.Time
	// Limit bounds List's answer: 0 means DefaultLimit, above MaxLimit
	// means MaxLimit. Replay ignores it.
	Limit int
}

// Selection says what Replay republishes: the entries named by IDs, or
// every entry Filter matches (then Filter.Since is required, so that an
// empty request cannot replay the whole DLQ by accident).
type Selection struct {
	IDs    []string
	Filter Filter
	// DryRun counts what would be replayed without publishing.
	DryRun bool
	// Force replays entries already replayed; by default they are skipped.
	Force bool
	// Tenants, when not nil, limits an IDs selection to these tenants'
	// entries: another tenant's id is reported as not found, as if it
	// did not exist (a scoped admin token learns nothing about it).
	Tenants []string
}

// RawSelection says what ReplayRaw republishes: the raw callbacks stored
// in RAW between Since and Until (inclusive; Until zero = now), of Tenant
// and Provider when given. Callbacks that are themselves replays are
// skipped: their original is in the window or before it.
type RawSelection struct {
	Since, Until     time.Time
	Tenant, Provider string
	DryRun           bool
}

// Result is the outcome of a replay.
type Result struct {
	// Matched counts the messages the selection found.
	Matched int `json:"matched"`
	// Replayed counts those republished (0 on a dry run).
	Replayed int `json:"replayed"`
	// Skipped counts DLQ entries not replayed because they already were
	// (see Selection.Force).
	Skipped int `json:"skipped"`
	// Failed counts messages whose republish failed; they stay unreplayed.
	Failed int `json:"failed"`
	// NotFound lists requested ids with no DLQ entry.
	NotFound []string `json:"not_found,omitempty"`
	// Truncated is true when the selection had more than MaxReplay
	// messages and only the first MaxReplay were handled.
	Truncated bool `json:"truncated,omitempty"`
}

// validToken reports whether s can be one subject token of ours: the
// same alphabet as tenant ids, so no wildcard or separator slips into a
// subject filter.
func validToken(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// tokenOrAll returns s, or "*" for an empty s; it rejects a non-token.
func tokenOrAll(field, s string) (string, error) {
	if s == "" {
		return "*", nil
	}
	if !validToken(s) {
		return "", fmt.Errorf("%w: %s %q is not a valid subject token", ErrInvalidSelection, field, s)
	}
	return s, nil
}

// subjectFilter returns the DLQ subject filter of f.
func (f Filter) subjectFilter() (string, error) {
	svc, err := tokenOrAll("service", f.Service)
	if err != nil {
		return "", err
	}
	tenant, err := tokenOrAll("tenant", f.Tenant)
	if err != nil {
		return "", err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return "", fmt.Errorf("%w: until is before since", ErrInvalidSelection)
	}
	return "dlq." + svc + "." + tenant, nil
}

// limit returns f's effective List limit.
func (f Filter) limit() int {
	switch {
	case f.Limit <= 0:
		return DefaultLimit
	case f.Limit > MaxLimit:
		return MaxLimit
	}
	return f.Limit
}

// matches applies the filters the subject filter cannot express.
func (f Filter) matches(class string, deadAt time.Time) bool {
	if f.Class != "" && class != f.Class {
		return false
	}
	if !f.Since.IsZero() && deadAt.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && deadAt.After(f.Until) {
		return false
	}
	return true
}

// validate checks s is one of the two shapes Replay accepts.
func (s Selection) validate() error {
	if len(s.IDs) > 0 {
		f := s.Filter
		if f.Tenant != "" || f.Service != "" || f.Class != "" || !f.Since.IsZero() || !f.Until.IsZero() {
			return fmt.Errorf("%w: give ids or filters, not both", ErrInvalidSelection)
		}
		if len(s.IDs) > MaxReplay {
			return fmt.Errorf("%w: more than %d ids", ErrInvalidSelection, MaxReplay)
		}
		return nil
	}
	if s.Filter.Since.IsZero() {
		return fmt.Errorf("%w: a bulk replay needs since (or ids)", ErrInvalidSelection)
	}
	_, err := s.Filter.subjectFilter()
	return err
}

// subjectFilter returns the RAW subject filter of s and its end time.
func (s RawSelection) subjectFilter(now time.Time) (string, time.Time, error) {
	if s.Since.IsZero() {
		return "", time.Time{}, fmt.Errorf("%w: a raw replay needs since", ErrInvalidSelection)
	}
	until := s.Until
	if until.IsZero() {
		until = now
	}
	if until.Before(s.Since) {
		return "", time.Time{}, fmt.Errorf("%w: until is before since", ErrInvalidSelection)
	}
	tenant, err := tokenOrAll("tenant", s.Tenant)
	if err != nil {
		return "", time.Time{}, err
	}
	provider, err := tokenOrAll("provider", s.Provider)
	if err != nil {
		return "", time.Time{}, err
	}
	// Any partition, any envelope: raw.<partition>.<tenant>.<provider>.<envelope>.
	return "raw.*." + tenant + "." + provider + ".*", until, nil
}
