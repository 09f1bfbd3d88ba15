package providers

import (
	"errors"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// ErrUnknownStatus is returned (wrapped) by provider API clients when the
// provider answers with an envelope status countersign cannot map. It is
// kept apart from ErrNotFound: the envelope exists, the answer is news.
var ErrUnknownStatus = errors.New("providers: unknown envelope status from the provider API")

// ErrNoAPI is returned by API client constructors when the provider has no
// api: section, or its kind has no standard API to ask (Standard Webhooks).
var ErrNoAPI = errors.New("providers: no provider API configured")

// Recipient states a RecipientStatus carries.
const (
	RecipientSent      = "sent"
	RecipientDelivered = "delivered"
	RecipientSigned    = "signed"
	RecipientDeclined  = "declined"
)

// envelopeTypes is the envelope-level event that brings an envelope to a
// state. created and partially_signed have none: nothing announces the
// first, and the second follows from recipient events.
var envelopeTypes = map[envelope.State]envelope.Type{
	envelope.StateSent:      envelope.TypeSent,
	envelope.StateDelivered: envelope.TypeDelivered,
	envelope.StateCompleted: envelope.TypeCompleted,
	envelope.StateDeclined:  envelope.TypeDeclined,
	envelope.StateVoided:    envelope.TypeVoided,
	envelope.StateExpired:   envelope.TypeExpired,
}

// recipientTypes is the event a recipient's state at the provider yields:
// a delivered recipient yields a delivered event naming it (the state
// machine raises that recipient), and a sent one a sent event naming it,
// so the record knows every signer who has not acted yet (whom the
// notifier reminds), not only those who did something.
var recipientTypes = map[string]envelope.Type{
	RecipientSent:      envelope.TypeSent,
	RecipientDelivered: envelope.TypeDelivered,
	RecipientSigned:    envelope.TypeRecipientSigned,
	RecipientDeclined:  envelope.TypeRecipientDeclined,
}

// EventsFromStatus returns the canonical events that bring an envelope of
// provider kind to what the provider's API says: one event per delivered,
// signed or declined recipient (sent ones too), and the envelope-level event for st.State (none for
// created and partially_signed). A non-terminal envelope event comes first
// and a terminal one last, the order in which they happened.
//
// Every event is dated st.ChangedAt, or fallback when the API gives no time,
// so ids are deterministic: a confirmation and a later poll of the same
// status collapse into the same events. Recipients naming nobody (no id, no
// email) are skipped.
func EventsFromStatus(tenant, kind string, st Status, src envelope.Source, fallback time.Time) []envelope.Event {
	at := st.ChangedAt
	if at.IsZero() {
		at = fallback
	}
	at = at.UTC()
	mk := func(t envelope.Type, r *envelope.RecipientRef) envelope.Event {
		return envelope.Event{
			ID:         envelope.EventID(tenant, kind, st.EnvelopeID, t, r, at),
			Tenant:     tenant,
			Provider:   kind,
			EnvelopeID: st.EnvelopeID,
			Type:       t,
			Recipient:  r,
			OccurredAt: at,
			Source:     src,
		}
	}
	var out []envelope.Event
	t, hasEnvelopeEvent := envelopeTypes[st.State]
	terminal := hasEnvelopeEvent && IsTerminal(t)
	if hasEnvelopeEvent && !terminal {
		out = append(out, mk(t, nil))
	}
	for _, rs := range st.Recipients {
		rt, ok := recipientTypes[rs.State]
		if !ok || rs.Recipient.Key() == "" || (terminal && rt == envelope.TypeSent) {
			// A signer still waiting on a finished envelope will not be
			// asked for anything any more: nothing to register.
			continue
		}
		r := rs.Recipient
		out = append(out, mk(rt, &r))
	}
	if terminal {
		out = append(out, mk(t, nil))
	}
	return out
}

// PathSafe reports whether id can be put in an API path as one segment:
// not empty, no slash, not a dot segment. Provider ids never break these
// rules, so an id that does names no envelope the provider could have.
func PathSafe(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, "/\\")
}
