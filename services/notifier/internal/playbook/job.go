// Package playbook is the notifier's domain logic, free of I/O: what a
// ledger entry asks for (timers to set, actions to take now, timers to
// cancel) and, when a timer fires, whether its action still applies.
package playbook

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// Kinds of job: reminders, the three escalations and the expiry warning.
const (
	// KindRemind: reminder N (1-based) to a recipient who has not acted.
	KindRemind = "remind"
	// KindUnsigned: escalation of a recipient silent past
	// escalate_unsigned_after.
	KindUnsigned = "unsigned"
	// KindFailures: escalation after escalate_after_failures delivery or
	// authentication failures of one recipient.
	KindFailures = "failures"
	// KindExpired: escalation of an envelope that expired (per recipient
	// still waiting).
	KindExpired = "expired"
	// KindExpiry: warning before the provider's expiry.
	KindExpiry = "expiry"
)

// Job is one thing the notifier will do about one recipient (or, with an
// empty Recipient, one envelope): the body of a timer, and of the job the
// timer fires onto NOTIFY.
type Job struct {
	Tenant     string                `json:"tenant"`
	Provider   string                `json:"provider"`
	EnvelopeID string                `json:"envelope_id"`
	Recipient  envelope.RecipientRef `json:"recipient"`
	Kind       string                `json:"kind"`
	// N numbers reminders from 1; 0 for other kinds.
	N int `json:"n,omitempty"`
	// Base is when the recipient was sent the envelope (reminders and the
	// unsigned escalation count from it); Due is when the job is due.
	Base time.Time `json:"base"`
	Due  time.Time `json:"due"`
}

// RecipientToken is the recipient's subject token: a hash of its key (an
// email holds dots), "_" for an envelope-level job.
func (j Job) RecipientToken() string {
	k := j.Recipient.Key()
	if k == "" {
		return "_"
	}
	h := sha256.Sum256([]byte(k))
	return hex.EncodeToString(h[:8])
}

// TimerSubject is the job's timer: one subject per (recipient, kind, n).
func (j Job) TimerSubject() string {
	return bus.TimerSubject(j.Tenant, envelope.Token(j.EnvelopeID), j.RecipientToken(), j.Kind, j.N)
}

// ActSubject is where a job due now is queued: notify.act.<same tokens>.
func (j Job) ActSubject() string {
	return "notify.act." + strings.TrimPrefix(j.TimerSubject(), "timer.")
}

// EventID is the id of the audit event of type t this job records. It
// depends only on what the job is (not when it ran), so however often the
// job is delivered, statesync applies its record once.
func (j Job) EventID(t envelope.Type) string {
	h := sha256.New()
	for _, p := range []string{"notifier", j.Tenant, j.Provider, j.EnvelopeID, j.Recipient.Key(), j.Kind, strconv.Itoa(j.N), string(t)} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Audit is the ledger type that records the job's main action.
func (j Job) Audit() envelope.Type {
	switch j.Kind {
	case KindRemind:
		return envelope.TypeReminderSent
	case KindExpiry:
		return envelope.TypeExpiryWarning
	}
	return envelope.TypeEscalated
}

// IsEscalation reports whether the job escalates.
func (j Job) IsEscalation() bool { return j.Audit() == envelope.TypeEscalated }
