package ingress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

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
	ack, perr := s.publish(ctx, msg, id+"/body-sha256:"+hex.EncodeToString(sum[:16]))
	if perr != nil {
		return perr
	}
	if err == nil && !ack.Duplicate {
		// Counted once per distinct body, not once per retry of it.
		s.metrics.reused.WithLabelValues(tenantID, kind).Inc()
		s.cfg.Logger.Warn("delivery id reused with a different body; stored", "tenant", tenantID, "provider", kind, "seq", ack.Sequence)
	}
	return nil
}

// storedBodyEquals reports whether RAW's message seq has body as its data.
func (s *Service) storedBodyEquals(ctx context.Context, seq uint64, body []byte) (bool, error) {
	stream, err := s.rawStream(ctx)
	if err != nil {
		return false, err
	}
	stored, err := stream.GetMsg(ctx, seq)
	if err != nil {
		return false, fmt.Errorf("read RAW seq %d: %w", seq, err)
	}
	return bytes.Equal(stored.Data, body), nil
}

// rawStream returns the RAW stream handle, looked up once.
func (s *Service) rawStream(ctx context.Context) (jetstream.Stream, error) {
	s.rawMu.Lock()
	defer s.rawMu.Unlock()
	if s.raw != nil {
		return s.raw, nil
	}
	st, err := s.cfg.JS.Stream(ctx, bus.StreamRaw)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", bus.StreamRaw, err)
	}
	s.raw = st
	return st, nil
}
