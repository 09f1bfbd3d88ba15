package dropboxsign

import (
	"fmt"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// eventTypes maps event_type to canonical types; account-level events
// (callback_test, account_confirmed) and the rest are ignored.
var eventTypes = map[string]envelope.Type{
	"signature_request_sent":         envelope.TypeSent,
	"signature_request_viewed":       envelope.TypeDelivered,
	"signature_request_signed":       envelope.TypeRecipientSigned,
	"signature_request_all_signed":   envelope.TypeCompleted,
	"signature_request_declined":     envelope.TypeDeclined,
	"signature_request_canceled":     envelope.TypeVoided,
	"signature_request_expired":      envelope.TypeExpired,
	"signature_request_email_bounce": envelope.TypeRecipientDeliveryFailed,
}

// Parse maps a callback to its event; the signer is the signature named by
// event_metadata.related_signature_id (looked up in signatures[] for the
// email). A decline by a known signer also yields recipient_declined.
// occurred_at is event_time (unix seconds).
func (a *Adapter) Parse(tenant string, req *providers.Request) ([]envelope.Event, error) {
	p, err := decode(req.Header, req.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", providers.ErrMalformed, err)
	}
	t, ok := eventTypes[p.Event.Type]
	if !ok {
		return nil, nil
	}
	if p.SignatureRequest == nil {
		return nil, fmt.Errorf("%w: %s without signature_request", providers.ErrMalformed, t)
	}
	at, err := providers.ParseUnix(string(p.Event.Time))
	if err != nil {
		return nil, err
	}
	var r *envelope.RecipientRef
	if id := p.Event.EventMetadata.RelatedSignatureID; id != "" {
		r = &envelope.RecipientRef{ID: id}
		for _, s := range p.SignatureRequest.Signatures {
			if s.SignatureID == id {
				r.Email = s.Email
			}
		}
	}
	types := []envelope.Type{t}
	switch {
	case t == envelope.TypeDeclined && r != nil:
		types = append(types, envelope.TypeRecipientDeclined)
	case !t.IsRecipient() && t != envelope.TypeDelivered:
		// Envelope-wide events name no signer even if metadata carries one.
		r = nil
	}
	events := make([]envelope.Event, 0, len(types))
	for _, t := range types {
		ref := r
		if t == envelope.TypeDeclined {
			ref = nil
		}
		ev, err := providers.NewEvent(tenant, a.Kind(), p.SignatureRequest.ID, t, ref, at, "")
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}
