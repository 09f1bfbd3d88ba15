package playbook

import (
	"fmt"
	"slices"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
)

// Outcomes an envelope can have, as the envelopes_total metric labels them.
const (
	OutcomeSent            = "sent"
	OutcomeBounced         = "bounced"
	OutcomeExpired         = "expired"
	OutcomePartiallySigned = "partially_signed"
	OutcomeAuthFailed      = "auth_failed"
	OutcomeCompleted       = "completed"
)

// Window is a tenant's last envelopes and whether its reminders are
// paused. It is derived from the ledger alone (a cache the notifier keeps
// in KV, rebuilt by replaying the stream into a fresh consumer).
type Window struct {
	Envelopes []WindowEnvelope `json:"envelopes,omitempty"`
	Paused    bool             `json:"paused,omitempty"`
	PausedAt  time.Time        `json:"paused_at,omitzero"`
	ResumedAt time.Time        `json:"resumed_at,omitzero"`
	// Reason says which rate paused the playbook.
	Reason string `json:"reason,omitempty"`
}

// WindowEnvelope is one envelope of the window, oldest first.
type WindowEnvelope struct {
	ID       string    `json:"id"`
	Provider string    `json:"provider"`
	SentAt   time.Time `json:"sent_at"`
	// Outcomes holds what befell it, each once (bounced, expired, …).
	Outcomes []string `json:"outcomes,omitempty"`
}

// Observation is what one entry changed in a window.
type Observation struct {
	// Outcomes newly reached by the entry's envelope.
	Outcomes []string
	// TimeToSign is sent → completed, when the entry completed an
	// envelope of the window.
	TimeToSign time.Duration
}

// Observe applies entry e to w, keeping the last size envelopes. It is
// idempotent: an entry seen twice changes nothing the second time.
func (w *Window) Observe(e envelope.Entry, size int) Observation {
	var o Observation
	at, err := time.Parse(time.RFC3339Nano, e.OccurredAt)
	if err != nil || e.Type.IsAudit() {
		return o
	}
	i := slices.IndexFunc(w.Envelopes, func(x WindowEnvelope) bool { return x.ID == e.EnvelopeID })
	if i < 0 {
		if e.Type != envelope.TypeSent {
			return o // an envelope sent before the window began
		}
		w.Envelopes = append(w.Envelopes, WindowEnvelope{ID: e.EnvelopeID, Provider: e.Provider, SentAt: at.UTC()})
		if size > 0 && len(w.Envelopes) > size {
			w.Envelopes = slices.Delete(w.Envelopes, 0, len(w.Envelopes)-size)
		}
		i = len(w.Envelopes) - 1
		o.Outcomes = append(o.Outcomes, OutcomeSent)
	}
	env := &w.Envelopes[i]
	mark := func(outcome string) {
		if !slices.Contains(env.Outcomes, outcome) {
			env.Outcomes = append(env.Outcomes, outcome)
			o.Outcomes = append(o.Outcomes, outcome)
		}
	}
	switch {
	case e.Type == envelope.TypeRecipientDeliveryFailed:
		mark(OutcomeBounced)
	case e.Type == envelope.TypeRecipientAuthFailed:
		mark(OutcomeAuthFailed)
	case e.Type == envelope.TypeExpired:
		mark(OutcomeExpired)
	case e.Type == envelope.TypeCompleted:
		if !slices.Contains(env.Outcomes, OutcomeCompleted) {
			o.TimeToSign = at.Sub(env.SentAt)
		}
		mark(OutcomeCompleted)
	case e.State == envelope.StatePartiallySigned:
		mark(OutcomePartiallySigned)
	}
	return o
}

// Rate is the share of the last size envelopes with outcome; fewer
// envelopes than size count as size (a tenant's first bounce is not a
// 100 % rate).
func (w *Window) Rate(outcome string, size int) float64 {
	n := 0
	for _, e := range w.Envelopes {
		if slices.Contains(e.Outcomes, outcome) {
			n++
		}
	}
	return float64(n) / float64(max(len(w.Envelopes), size, 1))
}

// Evaluate pauses w when its bounce or expiry rate passes p.Rate, and
// reports whether it was newly paused.
func (w *Window) Evaluate(p config.Pause, now time.Time) bool {
	if w.Paused {
		return false
	}
	for _, outcome := range []string{OutcomeBounced, OutcomeExpired} {
		if r := w.Rate(outcome, p.Window); r > p.Rate {
			w.Paused, w.PausedAt = true, now.UTC()
			w.Reason = fmt.Sprintf("%s rate %.1f%% over the last %d envelopes passes %.1f%%", outcome, 100*r, p.Window, 100*p.Rate)
			return true
		}
	}
	return false
}

// Resume lifts a pause and starts measuring afresh: the envelopes that
// caused it no longer count.
func (w *Window) Resume(now time.Time) {
	w.Paused, w.Reason, w.ResumedAt = false, "", now.UTC()
	w.Envelopes = nil
}
