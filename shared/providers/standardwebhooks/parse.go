package standardwebhooks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// eventTypes maps the payload's "type" to the canonical event type
// (CONTRACT.md); types not listed are ignored.
var eventTypes = map[string]envelope.Type{
	"document.sent":             envelope.TypeSent,
	"document.viewed":           envelope.TypeDelivered,
	"recipient.signed":          envelope.TypeRecipientSigned,
	"document.signed":           envelope.TypeCompleted,
	"document.completed":        envelope.TypeCompleted,
	"document.declined":         envelope.TypeDeclined,
	"document.expired":          envelope.TypeExpired,
	"document.voided":           envelope.TypeVoided,
	"document.canceled":         envelope.TypeVoided,
	"recipient.delivery_failed": envelope.TypeRecipientDeliveryFailed,
}

// payload is the Standard Webhooks envelope {"type","timestamp","data"}
// with the data fields countersign reads.
type payload struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      struct {
		DocumentID  string `json:"document_id"`
		RecipientID string `json:"recipient_id"`
		SignerEmail string `json:"signer_email"`
	} `json:"data"`
}

// Parse maps the payload to at most one event. occurred_at is the body's
// RFC 3339 "timestamp", else the webhook-timestamp header (both are the
// same on every retry, so the event id is too). A recipient is attached to
// recipient events (where it is required), to "document.viewed" (who
// viewed it) and to "document.sent" (to whom: the notifier reminds them).
func (a *Adapter) Parse(tenant string, req *providers.Request) ([]envelope.Event, error) {
	var p payload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return nil, fmt.Errorf("%w: body is not a Standard Webhooks payload: %s", providers.ErrMalformed, providers.Reason(err))
	}
	t, ok := eventTypes[p.Type]
	if !ok {
		return nil, nil
	}
	at, err := occurredAt(p.Timestamp, req.Header.Get(HeaderTimestamp))
	if err != nil {
		return nil, err
	}
	var r *envelope.RecipientRef
	if t.IsRecipient() || t == envelope.TypeDelivered || t == envelope.TypeSent {
		r = &envelope.RecipientRef{ID: p.Data.RecipientID, Email: p.Data.SignerEmail}
	}
	ev, err := providers.NewEvent(tenant, a.Kind(), p.Data.DocumentID, t, r, at, a.DeliveryID(req))
	if err != nil {
		return nil, err
	}
	return []envelope.Event{ev}, nil
}

func occurredAt(body, header string) (time.Time, error) {
	if body != "" {
		return providers.ParseTime(body)
	}
	if header == "" {
		return time.Time{}, fmt.Errorf("%w: no timestamp in body or header", providers.ErrMalformed)
	}
	return providers.ParseUnix(header)
}
