package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
)

// testMaxDeliver keeps exhausting a consumer to two deliveries.
const testMaxDeliver = 2

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startBus starts NATS with countersign's topology, consumers allowing
// testMaxDeliver deliveries.
func startBus(t *testing.T) *meshtest.NATS {
	t.Helper()
	n := meshtest.StartNATS(t)
	if err := bus.Setup(t.Context(), n.JS, bus.Topology{MaxDeliver: testMaxDeliver, Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	return n
}

func newTestStore(t *testing.T, n *meshtest.NATS) *Store {
	t.Helper()
	s, err := NewStore(StoreConfig{JS: n.JS, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// publish stores data on subject with the tenant and envelope headers and
// returns its stream sequence.
func publish(t *testing.T, js jetstream.JetStream, subject, tenant, env string, data []byte, extra nats.Header) uint64 {
	t.Helper()
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(bus.HeaderTenant, tenant)
	msg.Header.Set(bus.HeaderEnvelope, env)
	for k, vs := range extra {
		msg.Header[k] = vs
	}
	ack, err := js.PublishMsg(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// exhaust takes the next message of the durable consumer and naks it
// until its deliveries run out, then asks once more so that the server
// gives up on it (and sends the MAX_DELIVERIES advisory).
func exhaust(t *testing.T, js jetstream.JetStream, stream, consumer string) {
	t.Helper()
	cons, err := js.Consumer(t.Context(), stream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	for i := range testMaxDeliver {
		msg, err := cons.Next(jetstream.FetchMaxWait(5*time.Second), jetstream.FetchPriorityGroup(bus.PartitionGroup))
		if err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
		if err := msg.Nak(); err != nil {
			t.Fatal(err)
		}
	}
	// The server notices the limit when it looks for the next message.
	if msg, err := cons.Next(jetstream.FetchMaxWait(300*time.Millisecond), jetstream.FetchPriorityGroup(bus.PartitionGroup)); err == nil {
		t.Fatalf("message %s delivered past MaxDeliver", msg.Subject())
	} else if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
		t.Fatal(err)
	}
}

// writeEntry publishes dl to the DLQ as a bus worker would.
func writeEntry(t *testing.T, js jetstream.JetStream, dl bus.DeadLetter) {
	t.Helper()
	data, err := json.Marshal(dl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(t.Context(), bus.DLQSubject(dl.Service, dl.Tenant), data); err != nil {
		t.Fatal(err)
	}
}

// entry is a DLQ entry of a STATE message.
func entry(id, service, tenant, class string, deadAt time.Time) bus.DeadLetter {
	return bus.DeadLetter{
		ID: id, Service: service, Tenant: tenant, EnvelopeID: "env-" + id,
		Subject: bus.StateSubject(tenant, "env-"+id), Error: "boom", ErrorClass: class, Attempts: 1,
		FirstAttemptAt: deadAt, LastAttemptAt: deadAt, DeadAt: deadAt,
		Stream: bus.StreamState, StreamSeq: 1,
		Header:  map[string][]string{bus.HeaderTenant: {tenant}, bus.HeaderMsgID: {"orig-" + id}},
		Payload: []byte(`{"entry":"` + id + `"}`),
	}
}

// streamMsgs returns the number of messages in stream.
func streamMsgs(t *testing.T, n *meshtest.NATS, stream string) uint64 {
	t.Helper()
	info, err := n.StreamInfo(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// ids returns the ids of entries.
func ids(entries []bus.DeadLetter) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}
