package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
)

// startJS starts embedded NATS with countersign's topology.
func startJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	n := meshtest.StartNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bus.Setup(ctx, n.JS, bus.Topology{}); err != nil {
		t.Fatal(err)
	}
	return n.JS
}

func TestKVLease(t *testing.T) {
	js := startJS(t)
	ctx := context.Background()
	c := &clock{t: time.Now()}
	a, err := newKVStore(ctx, js, "replica-a", c.Now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newKVStore(ctx, js, "replica-b", c.Now)

	release, err := a.Acquire(ctx, "acme", "docusign", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(ctx, "acme", "docusign", 3*time.Second); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("second holder: err = %v, want ErrLeaseHeld", err)
	}
	// Another provider's lease is independent.
	rel2, err := b.Acquire(ctx, "acme", "adobesign", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rel2()
	// The holder renews: after several ttls of real time (the clock
	// follows), the lease is still held.
	meshtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		e, err := a.cursors.Get(ctx, "lease.acme.docusign")
		if err != nil {
			return err
		}
		if e.Revision() < 3 {
			return errors.New("not renewed yet")
		}
		return nil
	})
	release()
	rel3, err := b.Acquire(ctx, "acme", "docusign", 3*time.Second)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	// A crashed holder's lease (a ghost that never renews) is taken over
	// once it expires.
	rel3()
	ghost, _ := json.Marshal(bus.Lease{Holder: "ghost", Until: c.Now().Add(time.Minute)})
	if _, err := a.cursors.Put(ctx, "lease.acme.docusign", ghost); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Acquire(ctx, "acme", "docusign", 3*time.Second); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("ghost's live lease: err = %v, want ErrLeaseHeld", err)
	}
	c.Advance(2 * time.Minute)
	rel4, err := a.Acquire(ctx, "acme", "docusign", 3*time.Second)
	if err != nil {
		t.Fatalf("expired lease not taken over: %v", err)
	}
	rel4()
}

func TestKVStoreRecordsAndCursors(t *testing.T) {
	js := startJS(t)
	ctx := context.Background()
	s, err := newKVStore(ctx, js, "r", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	kv, _ := js.KeyValue(ctx, bus.BucketEnvelopes)
	for _, r := range []envelope.Record{
		{Tenant: "acme", Provider: "docusign", EnvelopeID: "env-1", State: envelope.StateSent},
		{Tenant: "acme", Provider: "docusign", EnvelopeID: "id with spaces", State: envelope.StateCompleted},
		{Tenant: "other", Provider: "docusign", EnvelopeID: "env-1", State: envelope.StateSent},
	} {
		b, _ := json.Marshal(r)
		if _, err := kv.Put(ctx, envelope.RecordKey(r.Tenant, r.EnvelopeID), b); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := s.Record(ctx, "acme", "id with spaces")
	if err != nil || rec == nil || rec.State != envelope.StateCompleted {
		t.Fatalf("Record = %+v, %v", rec, err)
	}
	if rec, err := s.Record(ctx, "acme", "nope"); rec != nil || err != nil {
		t.Fatalf("missing record: %+v, %v", rec, err)
	}
	var ids []string
	if err := s.Scan(ctx, "acme", func(r *envelope.Record) { ids = append(ids, r.EnvelopeID) }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Fatalf("scanned %v, want acme's two records", ids)
	}
	// An empty tenant scans to nothing, without hanging.
	if err := s.Scan(ctx, "empty", func(*envelope.Record) { t.Fatal("record of no tenant") }); err != nil {
		t.Fatal(err)
	}

	at := time.Date(2026, 1, 13, 9, 0, 0, 0, time.UTC)
	if c, err := s.Cursor(ctx, "acme", "docusign"); err != nil || !c.Since.IsZero() {
		t.Fatalf("fresh cursor %+v, %v", c, err)
	}
	if err := s.SetCursor(ctx, "acme", "docusign", Cursor{Since: at, LastRound: at}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx, "acme", "docusign"); !c.Since.Equal(at) {
		t.Fatalf("cursor %+v", c)
	}
	if err := s.SetChecked(ctx, "acme", "docusign", "id with spaces", at); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LastChecked(ctx, "acme", "docusign", "id with spaces"); !got.Equal(at) {
		t.Fatalf("last checked %s", got)
	}
}

func TestStatePublisherAndSignals(t *testing.T) {
	js := startJS(t)
	ctx := context.Background()
	ev := envelope.Event{ID: "ev-1", Tenant: "acme", Provider: "docusign", EnvelopeID: "env-1",
		Type: envelope.TypeCompleted, OccurredAt: time.Now().UTC(), Source: envelope.SourcePoll}
	p := statePublisher{js: js}
	// Twice: the second is deduplicated by Nats-Msg-Id.
	for range 2 {
		if err := p.Publish(ctx, []envelope.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := js.Stream(ctx, bus.StreamState)
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Fatalf("STATE holds %d messages, want 1", info.State.Msgs)
	}
	m, err := st.GetLastMsgForSubject(ctx, "state.*.acme.env-1") // the stream inserts the partition
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get(bus.HeaderTenant) != "acme" || m.Header.Get(bus.HeaderProvider) != "docusign" {
		t.Fatalf("headers %v", m.Header)
	}

	w := streamSignals{js: js, now: time.Now}
	sig, err := w.Signals(ctx, "acme", "docusign")
	if err != nil || sig.Callbacks != 0 || !sig.LastCallback.IsZero() {
		t.Fatalf("no traffic yet: %+v, %v", sig, err)
	}
	for range 3 {
		if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: bus.RawSubject("acme", "docusign", "env-1"), Data: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: bus.DLQSubject("verifier", "acme"), Data: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	sig, err = w.Signals(ctx, "acme", "docusign")
	if err != nil {
		t.Fatal(err)
	}
	if sig.Callbacks != 3 || sig.LastCallback.IsZero() || sig.DeadLetters != 1 {
		t.Fatalf("signals %+v, want 3 callbacks, a last time, 1 dead letter", sig)
	}
}
