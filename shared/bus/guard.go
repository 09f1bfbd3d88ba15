package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// MaxSubjectBytes bounds the subject of anything countersign publishes. A
// NATS server answers a control line (PUB/HPUB with subject, reply and
// sizes) over its max_control_line, 4 KiB by default, with -ERR and closes
// the connection for good — the client does not reconnect — so one
// oversized subject would take down every service on that connection.
// 3 KiB leaves room for the reply inbox and the sizes.
const MaxSubjectBytes = 3072

// ErrSubjectTooLong is returned (wrapped, and marked Permanent) by a
// guarded JetStream for a publish whose subject exceeds MaxSubjectBytes.
var ErrSubjectTooLong = errors.New("bus: subject over the control-line limit")

// CheckSubject returns a Permanent error wrapping ErrSubjectTooLong when
// subject is longer than MaxSubjectBytes. The message gives the length,
// never the subject (it may hold an attacker's id).
func CheckSubject(subject string) error {
	if len(subject) > MaxSubjectBytes {
		return Permanent(fmt.Errorf("%w: %d bytes, limit %d", ErrSubjectTooLong, len(subject), MaxSubjectBytes))
	}
	return nil
}

// Guard wraps js so that no publish can carry a subject the server would
// close the connection over: such a publish fails with CheckSubject's
// error (and the message that caused it goes to the DLQ) instead. The
// edge checks ids first (envelope.Event.Check); this is the backstop for
// every path that builds a subject.
func Guard(js jetstream.JetStream) jetstream.JetStream {
	if _, ok := js.(guarded); ok {
		return js
	}
	return guarded{js}
}

type guarded struct{ jetstream.JetStream }

func (g guarded) Publish(ctx context.Context, subj string, data []byte, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if err := CheckSubject(subj); err != nil {
		return nil, err
	}
	return g.JetStream.Publish(ctx, subj, data, opts...)
}

func (g guarded) PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if err := CheckSubject(msg.Subject); err != nil {
		return nil, err
	}
	return g.JetStream.PublishMsg(ctx, msg, opts...)
}

func (g guarded) PublishAsync(subj string, data []byte, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	if err := CheckSubject(subj); err != nil {
		return nil, err
	}
	return g.JetStream.PublishAsync(subj, data, opts...)
}

func (g guarded) PublishMsgAsync(msg *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	if err := CheckSubject(msg.Subject); err != nil {
		return nil, err
	}
	return g.JetStream.PublishMsgAsync(msg, opts...)
}
