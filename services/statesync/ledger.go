package statesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// RecordStore is what statesync needs of the envelope records: read with
// the revision, write by compare-and-set (bus.Records).
type RecordStore interface {
	// Get returns the record and its revision (0: none yet).
	Get(ctx context.Context, tenant, envelopeID string) (envelope.Record, uint64, error)
	// Put writes rec if the record is still at rev, else returns an
	// error wrapping bus.ErrRecordChanged.
	Put(ctx context.Context, tenant, envelopeID string, rec envelope.Record, rev uint64) (uint64, error)
}

// Ledger is what statesync needs of the ENVELOPES stream.
type Ledger interface {
	// Holds reports whether the stream holds e, or a later entry of e's
	// subject (entries are published in order).
	Holds(ctx context.Context, e envelope.Entry) (bool, error)
	// Publish publishes entries in order and waits for every ack.
	Publish(ctx context.Context, entries []envelope.Entry) error
}

// streamLedger is the Ledger on JetStream.
type streamLedger struct {
	js     jetstream.JetStream
	stream jetstream.Stream
}

// Holds is a direct get of the subject's last message.
func (l streamLedger) Holds(ctx context.Context, e envelope.Entry) (bool, error) {
	msg, err := l.stream.GetLastMsgForSubject(ctx, e.Subject())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read ledger: %w", err)
	}
	var last struct {
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(msg.Data, &last); err != nil {
		return false, fmt.Errorf("read ledger: %s: %w", e.Subject(), err)
	}
	return last.Seq >= e.Seq, nil
}

// Publish sends entries in order, each once the one before is stored
// (bus.PublishInOrder), with Nats-Msg-Id = Entry.MsgID, so concurrent
// writers settling the same entry add it once.
func (l streamLedger) Publish(ctx context.Context, entries []envelope.Entry) error {
	out := make([]bus.Outgoing, 0, len(entries))
	for i := range entries {
		o, err := bus.EntryMsg(&entries[i])
		if err != nil {
			return err
		}
		out = append(out, o)
	}
	if err := bus.PublishInOrder(ctx, l.js, out); err != nil {
		return fmt.Errorf("publish ledger entries: %w", err)
	}
	return nil
}
