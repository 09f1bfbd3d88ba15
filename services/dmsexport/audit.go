package dmsexport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// auditEvent is the exported or purged event of an export. Its id is
// derived from the envelope and its completion, never from when or how
// often the export ran, so every retry and every re-export publishes the
// same id and statesync applies it once.
func auditEvent(r *Record, t envelope.Type, at time.Time, detail map[string]string) envelope.Event {
	completed, _ := time.Parse(time.RFC3339Nano, r.CompletedAt)
	return envelope.Event{
		ID:     envelope.EventID(r.Tenant, r.Provider, r.EnvelopeID, t, nil, completed),
		Tenant: r.Tenant, Provider: r.Provider, EnvelopeID: r.EnvelopeID,
		Type: t, OccurredAt: at.UTC(), Source: envelope.SourceExport,
		Detail: envelope.Detail(detail),
	}
}

// publishEvent sends ev to STATE as the verifier does (Nats-Msg-Id = the
// event id), for statesync, the ledger's one writer, to apply.
func publishEvent(ctx context.Context, js jetstream.JetStream, ev envelope.Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("dmsexport: encode %s event: %w", ev.Type, err)
	}
	msg := nats.NewMsg(bus.StateSubject(ev.Tenant, envelope.Token(ev.EnvelopeID)))
	msg.Data = data
	msg.Header.Set(bus.HeaderTenant, ev.Tenant)
	msg.Header.Set(bus.HeaderEnvelope, ev.EnvelopeID)
	msg.Header.Set(bus.HeaderProvider, ev.Provider)
	if _, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID)); err != nil {
		return fmt.Errorf("dmsexport: publish %s event %s: %w", ev.Type, ev.ID, err)
	}
	return nil
}

// onLedger reports whether the ledger holds an entry for event id of type
// t: the last entry on its subject is it (audit entries of one type are
// written once per envelope, so the last is the only one).
func onLedger(ctx context.Context, js jetstream.JetStream, ev envelope.Event) (bool, error) {
	stream, err := js.Stream(ctx, bus.StreamEnvelopes)
	if err != nil {
		return false, fmt.Errorf("dmsexport: stream %s: %w", bus.StreamEnvelopes, err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, envelope.Subject(ev.Tenant, ev.EnvelopeID, ev.Type))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dmsexport: ledger %s/%s: %w", ev.Tenant, ev.EnvelopeID, err)
	}
	var e struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		return false, fmt.Errorf("dmsexport: ledger entry %s: %w", msg.Subject, err)
	}
	return e.ID == ev.ID, nil
}
