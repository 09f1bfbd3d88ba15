package docusign

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// eventTypes maps Connect event names to canonical types. recipient-sent
// and recipient-delivered carry the recipient on an envelope-level type:
// there is no recipient_sent / recipient_delivered.
var eventTypes = map[string]envelope.Type{
	"envelope-sent":                  envelope.TypeSent,
	"envelope-delivered":             envelope.TypeDelivered,
	"envelope-completed":             envelope.TypeCompleted,
	"envelope-declined":              envelope.TypeDeclined,
	"envelope-voided":                envelope.TypeVoided,
	"recipient-sent":                 envelope.TypeSent,
	"recipient-delivered":            envelope.TypeDelivered,
	"recipient-completed":            envelope.TypeRecipientSigned,
	"recipient-declined":             envelope.TypeRecipientDeclined,
	"recipient-authenticationfailed": envelope.TypeRecipientAuthFailed,
	"recipient-autoresponded":        envelope.TypeRecipientDeliveryFailed,
}

// knownEvents are Connect events countersign recognises but does not map;
// their envelopeSummary (when present) is still read.
var knownEvents = map[string]bool{
	"envelope-created": true, "envelope-resent": true, "envelope-corrected": true,
	"envelope-purge": true, "envelope-deleted": true, "envelope-discard": true,
	"recipient-resent": true, "recipient-delegate": true, "recipient-reassign": true,
	"recipient-finish-later": true,
}

// signingRoles are the envelopeSummary.recipients lists whose members sign;
// carbon copies and the like "complete" by receiving, which is no signature.
var signingRoles = []string{"signers", "inPersonSigners", "witnesses", "notaries"}

// payload is a JSON SIM Connect message, the fields countersign reads.
// retryCount is left out on purpose: it is not part of the event.
type payload struct {
	Event             string `json:"event"`
	GeneratedDateTime string `json:"generatedDateTime"`
	Data              struct {
		RecipientID     string   `json:"recipientId"`
		EnvelopeID      string   `json:"envelopeId"`
		EnvelopeSummary *summary `json:"envelopeSummary"`
	} `json:"data"`
}

type summary struct {
	Recipients map[string]json.RawMessage `json:"recipients"`
}

type recipient struct {
	RecipientID       string `json:"recipientId"`
	Email             string `json:"email"`
	Status            string `json:"status"`
	SentDateTime      string `json:"sentDateTime"`
	DeliveredDateTime string `json:"deliveredDateTime"`
	SignedDateTime    string `json:"signedDateTime"`
	DeclinedDateTime  string `json:"declinedDateTime"`
}

// Parse maps a Connect message to its event plus, when the message carries
// data.envelopeSummary.recipients, one event per signing recipient status
// (sent, delivered, signed/completed, declined, autoresponded). occurred_at
// is generatedDateTime (a recipient's own status time for summary events),
// so every retry of a message yields the same ids whatever its retryCount.
func (a *Adapter) Parse(tenant string, req *providers.Request) ([]envelope.Event, error) {
	var p payload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return nil, fmt.Errorf("%w: body is not a Connect JSON message: %s", providers.ErrMalformed, providers.Reason(err))
	}
	t, mapped := eventTypes[p.Event]
	if !mapped && !knownEvents[p.Event] {
		return nil, nil
	}
	if p.GeneratedDateTime == "" {
		return nil, fmt.Errorf("%w: no generatedDateTime", providers.ErrMalformed)
	}
	generated, err := providers.ParseTime(p.GeneratedDateTime)
	if err != nil {
		return nil, err
	}
	recipients, err := summaryRecipients(p.Data.EnvelopeSummary)
	if err != nil {
		return nil, err
	}

	var events []envelope.Event
	add := func(t envelope.Type, r *envelope.RecipientRef, at time.Time) error {
		ev, err := providers.NewEvent(tenant, a.Kind(), p.Data.EnvelopeID, t, r, at, "")
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Type == ev.Type && sameRecipient(e.Recipient, ev.Recipient) {
				return nil
			}
		}
		events = append(events, ev)
		return nil
	}
	if mapped {
		var r *envelope.RecipientRef
		if strings.HasPrefix(p.Event, "recipient-") && p.Data.RecipientID != "" {
			r = &envelope.RecipientRef{ID: p.Data.RecipientID}
			for _, s := range recipients {
				if s.RecipientID == r.ID {
					r.Email = s.Email
				}
			}
		}
		if err := add(t, r, generated); err != nil {
			return nil, err
		}
	}
	for _, s := range recipients {
		t, at, ok := recipientEvent(s)
		if !ok || (s.RecipientID == "" && s.Email == "") {
			continue
		}
		when := generated
		if at != "" {
			if when, err = providers.ParseTime(at); err != nil {
				return nil, err
			}
		}
		if err := add(t, &envelope.RecipientRef{ID: s.RecipientID, Email: s.Email}, when); err != nil {
			return nil, err
		}
	}
	return events, nil
}

// summaryRecipients flattens the signing-role lists of an envelopeSummary.
func summaryRecipients(s *summary) ([]recipient, error) {
	if s == nil {
		return nil, nil
	}
	var out []recipient
	for _, role := range signingRoles {
		raw, ok := s.Recipients[role]
		if !ok || string(raw) == "null" {
			continue
		}
		var list []recipient
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("%w: envelopeSummary.recipients.%s: %s", providers.ErrMalformed, role, providers.Reason(err))
		}
		out = append(out, list...)
	}
	return out, nil
}

// recipientEvent maps a summary recipient's status to an event type and
// the time field that dates it ("" when DocuSign gives none).
func recipientEvent(r recipient) (envelope.Type, string, bool) {
	switch r.Status {
	case "sent":
		return envelope.TypeSent, r.SentDateTime, true
	case "delivered":
		return envelope.TypeDelivered, r.DeliveredDateTime, true
	case "signed", "completed":
		return envelope.TypeRecipientSigned, r.SignedDateTime, true
	case "declined":
		return envelope.TypeRecipientDeclined, r.DeclinedDateTime, true
	case "autoresponded":
		return envelope.TypeRecipientDeliveryFailed, "", true
	}
	return "", "", false
}

// sameRecipient is envelope.RecipientRef.Same for optional references.
func sameRecipient(a, b *envelope.RecipientRef) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Same(*b)
}
