package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// dlqPublishTimeout bounds one DLQ write. It does not derive from Run's
// context: a message being dead-lettered during shutdown is still written.
const dlqPublishTimeout = 10 * time.Second

// DeadLetter is a DLQ entry: a message a service gave up on, with
// everything needed to search it and replay it to its original subject.
type DeadLetter struct {
	// ID is DeadLetterID of the source message: "<consumer>-<stream>-<seq>".
	ID         string `json:"id"`
	Service    string `json:"service"`
	Tenant     string `json:"tenant"`
	EnvelopeID string `json:"envelope_id"`
	// Subject is the original subject (where a replay publishes).
	Subject    string `json:"subject"`
	Error      string `json:"error"`
	ErrorClass string `json:"error_class"`
	// Attempts is the number of deliveries made.
	Attempts int `json:"attempts"`
	// FirstAttemptAt is when the message entered its stream (deliveries
	// start then; no replica records its own first attempt).
	FirstAttemptAt time.Time `json:"first_attempt_at"`
	LastAttemptAt  time.Time `json:"last_attempt_at"`
	DeadAt         time.Time `json:"dead_at"`
	Stream         string    `json:"stream"`
	StreamSeq      uint64    `json:"stream_seq"`
	// Header is the original message's headers; Payload its data.
	Header  map[string][]string `json:"header"`
	Payload []byte              `json:"payload"`
	// ReplayedAt and ReplayResult are set by the admin service on replay.
	ReplayedAt   *time.Time `json:"replayed_at,omitempty"`
	ReplayResult string     `json:"replay_result,omitempty"`
}

// DeadLetterID is the id of the DLQ entry for message seq of stream that
// consumer gave up on. It is derived, never random: the worker that
// dead-letters a message, a redelivery of it after a crash before its
// Term, and every MAX_DELIVERIES watcher name the same entry, so the entry
// is written once (Nats-Msg-Id inside the DLQ's duplicates window, a
// lookup by id beyond it) and listed once.
func DeadLetterID(consumer, stream string, seq uint64) string {
	return consumer + "-" + stream + "-" + strconv.FormatUint(seq, 10)
}

// DeadLetterMsgID is the Nats-Msg-Id a DLQ entry is published with.
func DeadLetterMsgID(id string) string { return "dlq-" + id }

// newDeadLetter builds the DLQ entry for m, which failed with err (of
// class) on an attempt started at attemptAt.
func newDeadLetter(m *Message, err error, class string, attemptAt time.Time) DeadLetter {
	header := make(map[string][]string, len(m.Header))
	for k, vs := range m.Header {
		header[k] = append([]string(nil), vs...)
	}
	return DeadLetter{
		ID:             DeadLetterID(m.service, m.Stream, m.StreamSeq),
		Service:        m.service,
		Tenant:         m.Header.Get(HeaderTenant),
		EnvelopeID:     m.Header.Get(HeaderEnvelope),
		Subject:        m.Subject,
		Error:          err.Error(),
		ErrorClass:     class,
		Attempts:       m.Delivered,
		FirstAttemptAt: m.Timestamp.UTC(),
		LastAttemptAt:  attemptAt.UTC(),
		DeadAt:         time.Now().UTC(),
		Stream:         m.Stream,
		StreamSeq:      m.StreamSeq,
		Header:         header,
		Payload:        m.Data,
	}
}

// publishDeadLetter writes dl to DLQSubject(service, tenant) and waits
// for the stream's ack. Its Nats-Msg-Id is derived from dl.ID (itself
// from the source message), so a retry after a lost Term does not write a
// second entry.
func publishDeadLetter(js jetstream.JetStream, dl DeadLetter) error {
	data, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("bus: encode dead letter: %w", err)
	}
	msg := &nats.Msg{
		Subject: DLQSubject(dl.Service, dl.Tenant),
		Data:    data,
		Header: nats.Header{
			HeaderMsgID:    {DeadLetterMsgID(dl.ID)},
			HeaderTenant:   {dl.Tenant},
			HeaderEnvelope: {dl.EnvelopeID},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), dlqPublishTimeout)
	defer cancel()
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("bus: publish dead letter to %s: %w", msg.Subject, err)
	}
	return nil
}
