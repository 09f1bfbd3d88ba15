package ingress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
)

// storeReused settles a delivery whose Nats-Msg-Id RAW already holds (at
// seq): a provider's retry is identical and needs nothing more, but a
// delivery id reused with a different body must not be dropped — a 2xx
// promises it is stored. The stored message is read back and compared;
// a different body is stored under an id that covers the body too (so
// its own retries still dedupe) and counted as suspicious. When the
// original cannot be read, the delivery is stored again: storing twice
// costs nothing downstream (semantic event ids), dropping would lose it.
func (s *Service) storeReused(ctx context.Context, tenantID, kind string, msg *nats.Msg, id string, seq uint64) error {
	same, err := s.storedBodyEquals(ctx, seq, msg.Data)
	if err == nil && same {
		return nil
	}
	if err != nil {
		s.cfg.Logger.Warn("could not read back a duplicate delivery; storing it again",
			"tenant", tenantID, "provider", kind, "seq", seq, "error", err.Error())
	}
	sum := sha256.Sum256(msg.Data)
	seq2, dup, perr := s.raw.Store(ctx, msg, id+"/body-sha256:"+hex.EncodeToString(sum[:16]))
	if perr != nil {
		return perr
	}
	if err == nil && !dup {
		// Counted once per distinct body, not once per retry of it.
		s.metrics.reused.WithLabelValues(tenantID, kind).Inc()
		s.cfg.Logger.Warn("delivery id reused with a different body; stored", "tenant", tenantID, "provider", kind, "seq", seq2)
	}
	return nil
}

// storedBodyEquals reports whether RAW's message seq has body as its data.
func (s *Service) storedBodyEquals(ctx context.Context, seq uint64, body []byte) (bool, error) {
	stored, err := s.raw.Body(ctx, seq)
	if err != nil {
		return false, err
	}
	return bytes.Equal(stored, body), nil
}

// RawStore is what ingress needs of RAW: store a callback under its
// Nats-Msg-Id, waiting for the ack (which says whether the id was
// already stored, and where), and read a stored body back.
type RawStore interface {
	Store(ctx context.Context, msg *nats.Msg, id string) (seq uint64, duplicate bool, err error)
	Body(ctx context.Context, seq uint64) ([]byte, error)
}

// streamRaw is the RawStore on JetStream.
type streamRaw struct {
	js jetstream.JetStream

	mu     sync.Mutex
	stream jetstream.Stream // looked up once
}

// Store publishes msg through bus.PublishAll and waits for the ack.
func (r *streamRaw) Store(ctx context.Context, msg *nats.Msg, id string) (uint64, bool, error) {
	acks, err := bus.PublishAll(ctx, r.js, []bus.Outgoing{{Msg: msg, ID: id}})
	if err != nil {
		return 0, false, err
	}
	return acks[0].Sequence, acks[0].Duplicate, nil
}

// Body reads RAW's message seq.
func (r *streamRaw) Body(ctx context.Context, seq uint64) ([]byte, error) {
	r.mu.Lock()
	if r.stream == nil {
		st, err := r.js.Stream(ctx, bus.StreamRaw)
		if err != nil {
			r.mu.Unlock()
			return nil, fmt.Errorf("stream %s: %w", bus.StreamRaw, err)
		}
		r.stream = st
	}
	st := r.stream
	r.mu.Unlock()
	stored, err := st.GetMsg(ctx, seq)
	if err != nil {
		return nil, fmt.Errorf("read RAW seq %d: %w", seq, err)
	}
	return stored.Data, nil
}
