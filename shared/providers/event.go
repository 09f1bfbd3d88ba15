package providers

import (
	"fmt"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// NewEvent builds a webhook event of provider kind for tenant, with its
// semantic id (envelope.EventID), and checks it. It returns an error
// wrapping ErrMalformed when the envelope id is empty, the type is not an
// event type, a recipient event names no recipient, or the time is zero:
// adapters call it for every event they emit so none leaves half-formed.
func NewEvent(tenant, kind, envelopeID string, t envelope.Type, r *envelope.RecipientRef, occurredAt time.Time, deliveryID string) (envelope.Event, error) {
	switch {
	case envelopeID == "":
		return envelope.Event{}, fmt.Errorf("%w: %s event without an envelope id", ErrMalformed, t)
	case !t.Valid():
		return envelope.Event{}, fmt.Errorf("%w: unknown event type %q", ErrMalformed, t)
	case t.IsRecipient() && (r == nil || r.Key() == ""):
		return envelope.Event{}, fmt.Errorf("%w: %s event without a recipient", ErrMalformed, t)
	case occurredAt.IsZero():
		return envelope.Event{}, fmt.Errorf("%w: %s event without a time", ErrMalformed, t)
	}
	if r != nil && r.Key() == "" {
		r = nil
	}
	at := occurredAt.UTC()
	return envelope.Event{
		ID:         envelope.EventID(tenant, kind, envelopeID, t, r, at),
		Tenant:     tenant,
		Provider:   kind,
		EnvelopeID: envelopeID,
		Type:       t,
		Recipient:  r,
		OccurredAt: at,
		Source:     envelope.SourceWebhook,
		DeliveryID: deliveryID,
	}, nil
}
