package adobesign

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// eventTypes maps Adobe events to canonical types. AGREEMENT_CREATED is
// handled apart (it is a send only when the agreement went out for
// signature); the rest are ignored.
var eventTypes = map[string]envelope.Type{
	"AGREEMENT_ACTION_REQUESTED":   envelope.TypeSent,
	"AGREEMENT_EMAIL_VIEWED":       envelope.TypeDelivered,
	"AGREEMENT_ACTION_COMPLETED":   envelope.TypeRecipientSigned,
	"AGREEMENT_WORKFLOW_COMPLETED": envelope.TypeCompleted,
	"AGREEMENT_REJECTED":           envelope.TypeDeclined,
	"AGREEMENT_RECALLED":           envelope.TypeVoided,
	"AGREEMENT_EXPIRED":            envelope.TypeExpired,
	"AGREEMENT_EMAIL_BOUNCED":      envelope.TypeRecipientDeliveryFailed,
}

// payload is an Adobe notification, the fields countersign reads.
type payload struct {
	WebhookNotificationID string `json:"webhookNotificationId"`
	Event                 string `json:"event"`
	EventDate             string `json:"eventDate"`
	ParticipantUserEmail  string `json:"participantUserEmail"`
	Agreement             struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"agreement"`
}

// Parse maps a notification to its events: the participant
// (participantUserEmail) names the recipient of viewed, signed and bounced
// events, and a rejection by a known participant also yields
// recipient_declined. occurred_at is eventDate. A GET (intent check)
// carries no events.
func (a *Adapter) Parse(tenant string, req *providers.Request) ([]envelope.Event, error) {
	if req.Method == http.MethodGet {
		return nil, nil
	}
	var p payload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return nil, fmt.Errorf("%w: body is not an Adobe Sign notification: %v", providers.ErrMalformed, err)
	}
	t, ok := eventTypes[p.Event]
	if p.Event == "AGREEMENT_CREATED" && p.Agreement.Status == "OUT_FOR_SIGNATURE" {
		t, ok = envelope.TypeSent, true
	}
	if !ok {
		return nil, nil
	}
	if p.EventDate == "" {
		return nil, fmt.Errorf("%w: %s without eventDate", providers.ErrMalformed, p.Event)
	}
	at, err := providers.ParseTime(p.EventDate)
	if err != nil {
		return nil, err
	}
	var participant *envelope.RecipientRef
	if p.ParticipantUserEmail != "" {
		participant = &envelope.RecipientRef{Email: p.ParticipantUserEmail}
	}
	type planned struct {
		t envelope.Type
		r *envelope.RecipientRef
	}
	plan := []planned{{t, nil}}
	switch {
	case t.IsRecipient() || t == envelope.TypeDelivered:
		plan[0].r = participant
	case t == envelope.TypeDeclined && participant != nil:
		plan = append(plan, planned{envelope.TypeRecipientDeclined, participant})
	}
	events := make([]envelope.Event, 0, len(plan))
	for _, pl := range plan {
		ev, err := providers.NewEvent(tenant, a.Kind(), p.Agreement.ID, pl.t, pl.r, at, p.WebhookNotificationID)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}
