package statesync

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// errLost is what a publish sees when its stream leader dies with the
// message: no answer, nothing stored.
var errLost = errors.New("nats: no response from stream")

// loseFirstPublish is JetStream losing the first message published
// through it, by either API, while the ones after it are stored — what a
// stream leader failing mid-batch can do.
type loseFirstPublish struct {
	jetstream.JetStream
	mu   sync.Mutex
	lost bool
}

func (l *loseFirstPublish) loseThis() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost {
		return false
	}
	l.lost = true
	return true
}

func (l *loseFirstPublish) PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if l.loseThis() {
		return nil, errLost
	}
	return l.JetStream.PublishMsg(ctx, m, opts...)
}

func (l *loseFirstPublish) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	if l.loseThis() {
		return lostFuture(m), nil
	}
	return l.JetStream.PublishMsgAsync(m, opts...)
}

// failedFuture is the PubAckFuture of a lost message.
type failedFuture struct {
	msg *nats.Msg
	err chan error
}

func lostFuture(m *nats.Msg) failedFuture {
	f := failedFuture{msg: m, err: make(chan error, 1)}
	f.err <- errLost
	return f
}

func (f failedFuture) Ok() <-chan *jetstream.PubAck { return nil }
func (f failedFuture) Err() <-chan error            { return f.err }
func (f failedFuture) Msg() *nats.Msg               { return f.msg }

// TestBurstWithALostEntryKeepsTheChainInOrder: the first entry of a burst
// is lost on the way to the stream. Nothing after it may be stored ahead
// of it — the chain is in stream order, and settling reads a later entry
// as proof of the earlier ones — and the redelivery must then publish
// all three in order. Sending the burst all at once (bus.PublishAll)
// stored 2 and 3 and lost 1 for good.
func TestBurstWithALostEntryKeepsTheChainInOrder(t *testing.T) {
	s, n := newService(t)
	stream, err := n.JS.Stream(t.Context(), bus.StreamEnvelopes)
	if err != nil {
		t.Fatal(err)
	}
	s.ledger = streamLedger{js: &loseFirstPublish{JetStream: n.JS}, stream: stream}

	evs := []envelope.Event{
		event(t, "b1", envelope.TypeSent, 0),
		event(t, "b1", envelope.TypeDelivered, 1),
		event(t, "b1", envelope.TypeCompleted, 2),
	}
	if err := s.applyOnce(t.Context(), evs); !errors.Is(err, errLost) {
		t.Fatalf("burst with its first entry lost: %v, want %v", err, errLost)
	}
	if got := ledger(t, n.JS, "b1"); len(got) != 0 {
		t.Fatalf("%d entries stored after the lost first one; want none", len(got))
	}
	for _, ev := range evs { // the redeliveries
		if err := s.handle(t.Context(), message(t, ev)); err != nil {
			t.Fatal(err)
		}
	}
	raw := ledger(t, n.JS, "b1")
	if len(raw) != 3 {
		t.Fatalf("%d ledger entries after the redeliveries, want 3", len(raw))
	}
	if err := envelope.VerifyChain(raw); err != nil {
		t.Fatal(err)
	}
}
