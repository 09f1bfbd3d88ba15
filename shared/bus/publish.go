package bus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
)

// Outgoing is a message to publish under its Nats-Msg-Id.
type Outgoing struct {
	Msg *nats.Msg
	// ID is the Nats-Msg-Id: the stream stores a repeat inside its
	// duplicates window once.
	ID string
}

// PublishAll sends every message before awaiting any ack — one round
// trip for the batch, not one per message — and returns the acks in
// order once all have come. The first failure ends it (wrapped), as does
// ctx; messages sent before a failure may be stored, which their ids
// make harmless to send again. Ingress (RAW), verifier and reconciler
// (STATE) use it: their messages may be stored in any order (the state
// machine converges). The ledger may not: PublishInOrder.
func PublishAll(ctx context.Context, js jetstream.JetStream, out []Outgoing) ([]*jetstream.PubAck, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(out))
	for _, o := range out {
		f, err := js.PublishMsgAsync(o.Msg, jetstream.WithMsgID(o.ID))
		if err != nil {
			return nil, fmt.Errorf("bus: publish to %s: %w", o.Msg.Subject, err)
		}
		futures = append(futures, f)
	}
	acks := make([]*jetstream.PubAck, len(futures))
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			acks[i] = ack
		case err := <-f.Err():
			return nil, fmt.Errorf("bus: publish to %s: %w", out[i].Msg.Subject, err)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return acks, nil
}

// PublishInOrder sends each message only once the one before it is
// acknowledged, so the stream stores them in the order given: a failure
// leaves a prefix stored, never a later message without an earlier one.
// PublishAll cannot promise that — when a stream leader fails mid-batch,
// one message of a batch can be lost while the next is stored, and sent
// again it lands after it. The ledger needs the promise (an envelope's
// entries are a hash chain in stream order, and Holds reads "a later
// entry is stored" as "every earlier one is"); it pays a round trip per
// entry, and only a burst has more than one.
func PublishInOrder(ctx context.Context, js jetstream.JetStream, out []Outgoing) error {
	for _, o := range out {
		if _, err := js.PublishMsg(ctx, o.Msg, jetstream.WithMsgID(o.ID)); err != nil {
			return fmt.Errorf("bus: publish to %s: %w", o.Msg.Subject, err)
		}
	}
	return nil
}

// EventMsg is the STATE message of a canonical event: the event as JSON
// on StateSubject, Cs-Tenant/Envelope/Provider headers, Nats-Msg-Id = its
// semantic id. Webhooks (verifier) and polls (reconciler) publish through
// it alike, so statesync tells them apart only by the event's source, and
// whichever comes second adds nothing. An event that cannot be encoded is
// Permanent.
func EventMsg(ev *envelope.Event) (Outgoing, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return Outgoing{}, Permanent(fmt.Errorf("bus: encode event: %w", err))
	}
	msg := nats.NewMsg(StateSubject(ev.Tenant, envelope.Token(ev.EnvelopeID)))
	msg.Data = data
	msg.Header.Set(HeaderTenant, ev.Tenant)
	msg.Header.Set(HeaderEnvelope, ev.EnvelopeID)
	msg.Header.Set(HeaderProvider, ev.Provider)
	return Outgoing{Msg: msg, ID: ev.ID}, nil
}

// PublishEvents publishes evs to STATE (EventMsg, PublishAll).
func PublishEvents(ctx context.Context, js jetstream.JetStream, evs []envelope.Event) error {
	out := make([]Outgoing, 0, len(evs))
	for i := range evs {
		o, err := EventMsg(&evs[i])
		if err != nil {
			return err
		}
		out = append(out, o)
	}
	_, err := PublishAll(ctx, js, out)
	return err
}

// EntryMsg is the ENVELOPES message of a ledger entry: the entry as JSON
// on its subject, Nats-Msg-Id = Entry.MsgID, so concurrent writers
// settling the same entry add it once.
func EntryMsg(e *envelope.Entry) (Outgoing, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return Outgoing{}, Permanent(fmt.Errorf("bus: encode ledger entry: %w", err))
	}
	msg := nats.NewMsg(e.Subject())
	msg.Data = data
	return Outgoing{Msg: msg, ID: e.MsgID()}, nil
}
