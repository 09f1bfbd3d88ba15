package subscriber

import (
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
)

// Message is one delivery of a ledger entry as the handler sees it. The
// handler must not keep it after it returns.
type Message struct {
	// Entry is the decoded ledger entry; Data the bytes as published (what
	// envelope.VerifyChain checks).
	Entry envelope.Entry
	Data  []byte
	// Subject is envelope.<tenant>.<envelope token>.<type>; Header the
	// message headers (Nats-Msg-Id among them).
	Subject string
	Header  nats.Header
	// Delivered counts deliveries of this entry to the durable: 1 is the
	// first, MaxDeliver the last before the give-up hook.
	Delivered int
	// StreamSeq is the entry's sequence in ENVELOPES; Published when the
	// stream stored it.
	StreamSeq uint64
	Published time.Time

	msg jetstream.Msg
}

// LastAttempt reports whether this is the last delivery the durable
// allows: if the handler fails now, the give-up hook gets the entry.
func (m *Message) LastAttempt(maxDeliver int) bool {
	return maxDeliver > 0 && m.Delivered >= maxDeliver
}

// InProgress tells the server the handler is still working, pushing the
// redelivery of this entry back by one AckWait. The subscription already
// does this every AckWait/2 while a handler runs; call it for finer
// control. It is a no-op on a Message built outside a subscription.
func (m *Message) InProgress() error {
	if m.msg == nil {
		return nil
	}
	return m.msg.InProgress()
}

// newMessage builds the handler's view of a delivery; e is the decoded
// entry (zero when undecodable).
func newMessage(msg jetstream.Msg, e envelope.Entry) *Message {
	m := &Message{Entry: e, Data: msg.Data(), Subject: msg.Subject(), Header: msg.Headers(), Delivered: 1, msg: msg}
	if md, err := msg.Metadata(); err == nil {
		m.Delivered = int(md.NumDelivered)
		m.StreamSeq = md.Sequence.Stream
		m.Published = md.Timestamp
	}
	return m
}
