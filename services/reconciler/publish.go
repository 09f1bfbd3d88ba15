package reconciler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// statePublisher publishes canonical events to STATE exactly as the
// verifier does (JSON event, Nats-Msg-Id = event id, Cs-* headers), so
// statesync cannot tell a poll from a webhook but by its source, and a
// webhook that arrives later with the same semantic id adds nothing.
type statePublisher struct {
	js jetstream.JetStream
}

// Publish implements Publisher: every event is sent before any ack is
// awaited, and all must be acked.
func (p statePublisher) Publish(ctx context.Context, evs []envelope.Event) error {
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	for i := range evs {
		msg, err := stateMsg(&evs[i])
		if err != nil {
			return err
		}
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(evs[i].ID))
		if err != nil {
			return fmt.Errorf("reconciler: publish event %s: %w", evs[i].ID, err)
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("reconciler: publish event %s: %w", evs[i].ID, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// stateMsg is the STATE message of one event.
func stateMsg(ev *envelope.Event) (*nats.Msg, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("reconciler: encode event: %w", err)
	}
	msg := nats.NewMsg(bus.StateSubject(ev.Tenant, envelope.Token(ev.EnvelopeID)))
	msg.Data = data
	msg.Header.Set(bus.HeaderTenant, ev.Tenant)
	msg.Header.Set(bus.HeaderEnvelope, ev.EnvelopeID)
	msg.Header.Set(bus.HeaderProvider, ev.Provider)
	return msg, nil
}
