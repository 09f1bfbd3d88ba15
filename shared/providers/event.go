package providers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// NewEvent builds a webhook event of provider kind for tenant, with its
// semantic id (envelope.EventID), and checks it. It returns an error
// wrapping ErrMalformed when the envelope id is empty, the type is not an
// event type, a recipient event names no recipient, or the time is zero:
// adapters call it for every event they emit so none leaves half-formed.
// An id too long or odd to become a subject, key or header (see
// envelope.Event.Check) is malformed too: the callback is stored, then
// dead-lettered with the field and the reason.
func NewEvent(tenant, kind, envelopeID string, t envelope.Type, r *envelope.RecipientRef, occurredAt time.Time, deliveryID string) (envelope.Event, error) {
	switch {
	case envelopeID == "":
		return envelope.Event{}, fmt.Errorf("%w: %s event without an envelope id", ErrMalformed, t)
	case !t.Valid():
		return envelope.Event{}, fmt.Errorf("%w: type: not an event type", ErrMalformed)
	case t.IsRecipient() && (r == nil || r.Key() == ""):
		return envelope.Event{}, fmt.Errorf("%w: %s event without a recipient", ErrMalformed, t)
	case occurredAt.IsZero():
		return envelope.Event{}, fmt.Errorf("%w: %s event without a time", ErrMalformed, t)
	}
	if r != nil && r.Key() == "" {
		r = nil
	}
	if envelope.CheckField("delivery_id", deliveryID, envelope.MaxIDBytes, false) != nil {
		// Informational only: an odd one is kept as its hash, not refused.
		sum := sha256.Sum256([]byte(deliveryID))
		deliveryID = "sha256:" + hex.EncodeToString(sum[:16])
	}
	at := occurredAt.UTC()
	ev := envelope.Event{
		ID:         envelope.EventID(tenant, kind, envelopeID, t, r, at),
		Tenant:     tenant,
		Provider:   kind,
		EnvelopeID: envelopeID,
		Type:       t,
		Recipient:  r,
		OccurredAt: at,
		Source:     envelope.SourceWebhook,
		DeliveryID: deliveryID,
	}
	if err := ev.Check(); err != nil {
		// Named by field and reason only: the value came from the body.
		return envelope.Event{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return ev, nil
}
