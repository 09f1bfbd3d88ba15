package dmsexport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// maxLedgerEntries bounds one snapshot (an envelope has tens of entries).
const maxLedgerEntries = 100_000

// ledgerSnapshot returns ledger.json: the envelope's entries 1..upTo as
// they are on ENVELOPES, verified, as {"entries":[…],"verified":true} —
// the admin API's shape. Entries are the stream's bytes and the snapshot
// ends at the completing entry, so every export of the envelope writes
// the same bytes, whatever was appended since.
func ledgerSnapshot(ctx context.Context, js jetstream.JetStream, tenant, envelopeID string, upTo uint64) ([]byte, error) {
	stream, err := js.Stream(ctx, bus.StreamEnvelopes)
	if err != nil {
		return nil, fmt.Errorf("dmsexport: stream %s: %w", bus.StreamEnvelopes, err)
	}
	filter := envelope.SubjectFilter(tenant, envelopeID)
	var raw [][]byte
	for seq := uint64(1); uint64(len(raw)) < upTo; {
		if len(raw) >= maxLedgerEntries {
			return nil, fmt.Errorf("%w: %s/%s: more than %d entries", ErrLedger, tenant, envelopeID, maxLedgerEntries)
		}
		msg, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("%w: %s/%s: %d entries, the export needs %d", ErrLedger, tenant, envelopeID, len(raw), upTo)
		}
		if err != nil {
			return nil, fmt.Errorf("dmsexport: ledger %s/%s at %d: %w", tenant, envelopeID, seq, err)
		}
		raw = append(raw, msg.Data)
		seq = msg.Sequence + 1
	}
	if err := envelope.VerifyChain(raw); err != nil {
		return nil, fmt.Errorf("%w: %s/%s: %w", ErrLedger, tenant, envelopeID, err)
	}
	var b bytes.Buffer
	b.WriteString(`{"entries":[`)
	for i, e := range raw {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := json.Compact(&b, e); err != nil {
			return nil, fmt.Errorf("%w: %s/%s: entry %d: %w", ErrLedger, tenant, envelopeID, i+1, err)
		}
	}
	b.WriteString(`],"verified":true}` + "\n")
	return b.Bytes(), nil
}

// Manifest is manifest.json (CONTRACT.md), written last: its presence
// says every artefact it lists is stored and verified.
type Manifest struct {
	Tenant      string     `json:"tenant"`
	Provider    string     `json:"provider"`
	EnvelopeID  string     `json:"envelope_id"`
	CompletedAt string     `json:"completed_at"`
	Artefacts   []artefact `json:"artefacts"`
}

type artefact struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}
