package bus

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Message is one JetStream delivery as a Handler sees it. Handlers must
// not keep it (or its Data) after they return.
type Message struct {
	Subject string
	Data    []byte
	Header  nats.Header
	// Stream and StreamSeq locate the message in its stream.
	Stream    string
	StreamSeq uint64
	// Delivered counts deliveries of this message: 1 is the first.
	Delivered int
	// Timestamp is when the message was stored in the stream.
	Timestamp time.Time

	service string
	msg     jetstream.Msg
	// following lists the messages queued behind this one in its lane.
	following func() []jetstream.Msg
}

// Following returns up to max messages stored after m for the same
// envelope and already delivered to this worker, in order — what its lane
// will run next (nil outside a partition's lane). A handler may act on
// them ahead (apply an envelope's burst in one write); each still comes to
// it in turn and must then be recognised as done. The handler must not
// settle them or keep them.
func (m *Message) Following(max int) []*Message {
	if m.following == nil || max <= 0 {
		return nil
	}
	var out []*Message
	for _, msg := range m.following() {
		if len(out) == max {
			break
		}
		f, err := newMessage(m.service, msg)
		if err != nil {
			break
		}
		f.msg = nil // not the handler's to settle
		out = append(out, f)
	}
	return out
}

// Service returns the name of the worker delivering m ("" for a Message
// built outside a worker).
func (m *Message) Service() string { return m.service }

// InProgress tells the server the handler is still working on m, pushing
// its redelivery back by one AckWait. The worker already does this for
// slow handlers; it is exported for handlers that know better. It is a
// no-op for a Message built outside a worker.
func (m *Message) InProgress() error {
	if m.msg == nil {
		return nil
	}
	return m.msg.InProgress()
}

// Handler processes one message: nil acks it; Permanent(err) dead-letters
// and Terms it; Retry(err, d) or any other error naks it for redelivery.
type Handler func(ctx context.Context, m *Message) error

// Middleware wraps a Handler with cross-cutting behaviour.
type Middleware func(Handler) Handler

// Chain wraps h in mw: mw[0] is outermost (sees the message first).
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// newMessage builds the handler's view of a delivery.
func newMessage(service string, msg jetstream.Msg) (*Message, error) {
	md, err := msg.Metadata()
	if err != nil {
		return nil, err
	}
	return &Message{
		Subject:   msg.Subject(),
		Data:      msg.Data(),
		Header:    msg.Headers(),
		Stream:    md.Stream,
		StreamSeq: md.Sequence.Stream,
		Delivered: int(md.NumDelivered),
		Timestamp: md.Timestamp,
		service:   service,
		msg:       msg,
	}, nil
}
