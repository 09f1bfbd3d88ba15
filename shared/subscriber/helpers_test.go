package subscriber_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/subjects"
	"github.com/countersign/countersign/shared/subscriber"
)

const wait = 10 * time.Second

// startStream starts NATS and creates the ENVELOPES stream as bus defines
// it for subscribers: subjects envelope.>, limits retention.
func startStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	n := meshtest.StartNATS(t)
	_, err := n.JS.CreateStream(context.Background(), jetstream.StreamConfig{
		Name:     subjects.StreamEnvelopes,
		Subjects: []string{envelope.SubjectPrefix + ".>"},
	})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	return n.JS
}

// chain keeps the ledger chains of the envelopes a test publishes to.
type chain struct {
	last map[string]envelope.Entry
}

func newChain() *chain { return &chain{last: map[string]envelope.Entry{}} }

// publish appends an entry of type typ to the envelope's chain and
// publishes it on its subject; it returns the entry.
func (c *chain) publish(t *testing.T, js jetstream.JetStream, tenant, id string, typ envelope.Type) envelope.Entry {
	t.Helper()
	prev := c.last[tenant+"/"+id]
	e := envelope.Entry{
		ID: fmt.Sprintf("%s-%s-%d", tenant, id, prev.Seq+1), Tenant: tenant, Provider: "docusign",
		EnvelopeID: id, Type: typ, State: envelope.StateSent, PreviousState: envelope.StateCreated,
		OccurredAt: "2025-01-02T10:00:00Z", RecordedAt: "2025-01-02T10:00:01Z",
		Source: envelope.SourceWebhook, Seq: prev.Seq + 1, PrevHash: prev.Hash,
	}
	h, err := e.ComputeHash()
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	e.Hash = h
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if _, err := js.Publish(context.Background(), e.Subject(), data, jetstream.WithMsgID(e.MsgID())); err != nil {
		t.Fatalf("publish %s: %v", e.Subject(), err)
	}
	c.last[tenant+"/"+id] = e
	return e
}

// recorder is a handler that records what it was given.
type recorder struct {
	mu      sync.Mutex
	entries []envelope.Entry
	raw     [][]byte
	calls   map[string]int // by entry id
	fail    func(e envelope.Entry, call int) error
}

func newRecorder() *recorder { return &recorder{calls: map[string]int{}} }

func (r *recorder) handle(_ context.Context, m *subscriber.Message) error {
	e, raw := m.Entry, m.Data
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[e.ID]++
	if r.fail != nil {
		if err := r.fail(e, r.calls[e.ID]); err != nil {
			return err
		}
	}
	r.entries = append(r.entries, e)
	r.raw = append(r.raw, raw)
	return nil
}

// subjects returns the subjects of the handled entries, in order.
func (r *recorder) subjects() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, e := range r.entries {
		s = append(s, e.Subject())
	}
	return s
}

func (r *recorder) callsFor(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

// waitSettled waits until the subscription's consumer has nothing pending
// and nothing unacknowledged.
func waitSettled(t *testing.T, cons jetstream.Consumer) {
	t.Helper()
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		info, err := cons.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("pending %d, ack pending %d", info.NumPending, info.NumAckPending)
		}
		return nil
	})
}
