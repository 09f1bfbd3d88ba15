// Package drift compares an envelope as countersign holds it with what the
// provider's API says, and returns the canonical events that close the
// gap. It is pure: no I/O, no clock.
package drift

import (
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// Events returns the events (source poll) that bring rec to the
// provider's status st; none when rec already says what st says. rec is
// nil for an envelope countersign has never heard of: then every event st
// implies is missing.
//
// Events are those of providers.EventsFromStatus, minus what rec already
// holds: events it has applied, recipient events whose recipient is
// already there, envelope events whose state rec has reached or passed.
// A record in conflict, or whose terminal state differs from the
// provider's terminal state, gets one corrected event carrying the
// provider's state instead of an envelope event: the provider's truth
// wins (DESIGN.md, the state machine).
//
// fallback dates the events when the provider gives no change time; the
// caller passes something deterministic (the record's last update) so
// that repeated polls before the events are applied collapse into the
// same ids.
func Events(rec *envelope.Record, st providers.Status, tenant, kind string, fallback time.Time) []envelope.Event {
	all := providers.EventsFromStatus(tenant, kind, st, envelope.SourcePoll, fallback)
	if rec == nil {
		return all
	}
	correct := st.State.Terminal() && (rec.Conflict || (rec.State.Terminal() && rec.State != st.State))
	var out []envelope.Event
	for _, ev := range all {
		switch {
		case rec.HasApplied(ev.ID):
		case ev.Type.IsRecipient():
			if !holdsRecipient(rec, ev) {
				out = append(out, ev)
			}
		case ev.Recipient != nil:
			// An envelope-level event naming a recipient (who viewed it)
			// is owed while that recipient stands lower, however far the
			// envelope has gone: judging it by the envelope's state alone
			// dropped the view whenever another signer's events had been
			// applied before the poll — a race the demo lost about one
			// run in four. The state machine then raises the recipient
			// and leaves a higher envelope state as it is.
			if !holdsRecipient(rec, ev) {
				out = append(out, ev)
			}
		case correct:
			// The envelope event gives way to the correction below.
		case !reached(rec.State, ev.Type):
			out = append(out, ev)
		}
	}
	if correct {
		if c := correction(st, tenant, kind, fallback); !rec.HasApplied(c.ID) {
			out = append(out, c)
		}
	}
	return out
}

// stateOf is the state an envelope-level event moves to.
var stateOf = map[envelope.Type]envelope.State{
	envelope.TypeSent:      envelope.StateSent,
	envelope.TypeDelivered: envelope.StateDelivered,
	envelope.TypeCompleted: envelope.StateCompleted,
	envelope.TypeDeclined:  envelope.StateDeclined,
	envelope.TypeVoided:    envelope.StateVoided,
	envelope.TypeExpired:   envelope.StateExpired,
}

// reached reports whether an envelope in state s needs no event of type
// t: it is there already, or past it. A terminal envelope is past every
// non-terminal state; a different terminal state is a correction's
// business, not an event's.
func reached(s envelope.State, t envelope.Type) bool {
	target := stateOf[t]
	if s.Terminal() {
		return true
	}
	return s.Rank() >= target.Rank()
}

// recipientState is the recipient state a recipient event establishes.
var recipientState = map[envelope.Type]envelope.RecipientState{
	envelope.TypeSent:              envelope.RecipientSent,
	envelope.TypeDelivered:         envelope.RecipientDelivered,
	envelope.TypeRecipientSigned:   envelope.RecipientSigned,
	envelope.TypeRecipientDeclined: envelope.RecipientDeclined,
}

// holdsRecipient reports whether rec already has ev's recipient in the
// state ev would give it.
func holdsRecipient(rec *envelope.Record, ev envelope.Event) bool {
	want, ok := recipientState[ev.Type]
	if !ok || ev.Recipient == nil {
		return false
	}
	r, found := rec.Recipient(*ev.Recipient)
	return found && r.State.Rank() >= want.Rank()
}

// correction is the corrected event that sets an envelope to the
// provider's terminal state.
func correction(st providers.Status, tenant, kind string, fallback time.Time) envelope.Event {
	at := st.ChangedAt
	if at.IsZero() {
		at = fallback
	}
	at = at.UTC()
	return envelope.Event{
		ID:         envelope.EventID(tenant, kind, st.EnvelopeID, envelope.TypeCorrected, nil, at),
		Tenant:     tenant,
		Provider:   kind,
		EnvelopeID: st.EnvelopeID,
		Type:       envelope.TypeCorrected,
		OccurredAt: at,
		Source:     envelope.SourcePoll,
		State:      st.State,
	}
}
