package statesync

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/dedupe"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
)

// newService builds statesync over a fresh embedded NATS, without running
// its worker: tests call handle directly to place crashes precisely.
func newService(t *testing.T) (*Service, *meshtest.NATS) {
	t.Helper()
	n := meshtest.StartNATS(t)
	if err := bus.Setup(t.Context(), n.JS, bus.Topology{}); err != nil {
		t.Fatal(err)
	}
	locker, err := dedupe.NewKV(t.Context(), n.JS, bus.BucketLocks, 5*time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), Config{JS: n.JS, Locker: locker, LockTTL: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s, n
}

func event(t *testing.T, envID string, typ envelope.Type, minute int) envelope.Event {
	t.Helper()
	at := time.Date(2026, 5, 1, 12, minute, 0, 0, time.UTC)
	return envelope.Event{
		ID:     envelope.EventID("acme", "standardwebhooks", envID, typ, nil, at),
		Tenant: "acme", Provider: "standardwebhooks", EnvelopeID: envID,
		Type: typ, OccurredAt: at, Source: envelope.SourceWebhook,
	}
}

func message(t *testing.T, ev envelope.Event) *bus.Message {
	t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return &bus.Message{Subject: bus.StateSubject(ev.Tenant, envelope.Token(ev.EnvelopeID)), Data: data, Delivered: 1}
}

// ledger returns the raw ENVELOPES messages of one envelope, in order.
func ledger(t *testing.T, js jetstream.JetStream, envID string) [][]byte {
	t.Helper()
	c, err := js.OrderedConsumer(t.Context(), bus.StreamEnvelopes, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{envelope.SubjectFilter("acme", envID)},
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for range info.NumPending {
		m, err := c.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Data())
	}
	return out
}

func record(t *testing.T, s *Service, envID string) envelope.Record {
	t.Helper()
	rec, _, err := s.records.Get(t.Context(), "acme", envID)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestAppliesOnceAndChains(t *testing.T) {
	s, n := newService(t)
	for _, ev := range []envelope.Event{
		event(t, "e1", envelope.TypeSent, 0),
		event(t, "e1", envelope.TypeCompleted, 2),
		event(t, "e1", envelope.TypeSent, 0),      // duplicate
		event(t, "e1", envelope.TypeDelivered, 1), // late: stale
	} {
		if err := s.handle(t.Context(), message(t, ev)); err != nil {
			t.Fatalf("handle %s: %v", ev.Type, err)
		}
	}
	raw := ledger(t, n.JS, "e1")
	if len(raw) != 3 {
		t.Fatalf("%d ledger entries, want 3", len(raw))
	}
	if err := envelope.VerifyChain(raw); err != nil {
		t.Fatal(err)
	}
	rec := record(t, s, "e1")
	// The last entry stays in the outbox until the next write settles it.
	if rec.State != envelope.StateCompleted || rec.Seq != 3 || len(rec.Outbox) > 1 {
		t.Fatalf("record state %s seq %d outbox %d; want completed, 3, at most 1", rec.State, rec.Seq, len(rec.Outbox))
	}
}

// TestCrashBetweenRecordAndPublish: the record (with its outbox) was
// written but the process died before publishing. The redelivered event is
// a duplicate by then, and it must flush the owed entry — once.
func TestCrashBetweenRecordAndPublish(t *testing.T) {
	s, n := newService(t)
	ev := event(t, "e2", envelope.TypeSent, 0)
	next, entry, err := envelope.Apply(envelope.Record{}, ev, time.Now())
	if err != nil || entry == nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := s.records.Put(t.Context(), "acme", "e2", next, 0); err != nil { // the write before the "crash"
		t.Fatal(err)
	}
	if got := ledger(t, n.JS, "e2"); len(got) != 0 {
		t.Fatalf("ledger has %d entries before the redelivery", len(got))
	}
	for range 2 { // the redelivery, and one more for good measure
		if err := s.handle(t.Context(), message(t, ev)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ledger(t, n.JS, "e2"); len(got) != 1 {
		t.Fatalf("ledger has %d entries, want exactly 1", len(got))
	}
}

// TestPublishedEntryLeftInOutboxIsNotPublishedAgain: the entry went out
// (here without a Nats-Msg-Id, so the stream's duplicate window cannot
// help, as after a long pause) but is still in the record's outbox. A
// duplicate and the next event settle it by reading the stream: no
// second copy.
func TestPublishedEntryLeftInOutboxIsNotPublishedAgain(t *testing.T) {
	s, n := newService(t)
	ev := event(t, "e3", envelope.TypeSent, 0)
	next, entry, _ := envelope.Apply(envelope.Record{}, ev, time.Now())
	if _, err := s.records.Put(t.Context(), "acme", "e3", next, 0); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(entry)
	if _, err := n.JS.Publish(t.Context(), entry.Subject(), data); err != nil {
		t.Fatal(err)
	}
	for _, e := range []envelope.Event{ev, event(t, "e3", envelope.TypeDelivered, 1)} {
		if err := s.handle(t.Context(), message(t, e)); err != nil {
			t.Fatal(err)
		}
	}
	raw := ledger(t, n.JS, "e3")
	if len(raw) != 2 {
		t.Fatalf("%d ledger entries, want 2 (sent once, delivered once)", len(raw))
	}
	if err := envelope.VerifyChain(raw); err != nil {
		t.Fatal(err)
	}
	if rec := record(t, s, "e3"); len(rec.Outbox) != 1 || rec.Outbox[0].Seq != 2 {
		t.Fatalf("outbox %+v, want only the delivered entry", rec.Outbox)
	}
}

// TestConcurrentWritersOfOneEnvelope: many events of one envelope handled
// at once race on the record's revision; CAS retries must keep every event
// and a gap-free chain.
func TestConcurrentWritersOfOneEnvelope(t *testing.T) {
	s, n := newService(t)
	var evs []envelope.Event
	for i := range 20 {
		ev := event(t, "e4", envelope.TypeRecipientSigned, i)
		ev.Recipient = &envelope.RecipientRef{ID: fmt.Sprintf("r%d", i)}
		ev.ID = envelope.EventID("acme", "standardwebhooks", "e4", ev.Type, ev.Recipient, ev.OccurredAt)
		evs = append(evs, ev)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(evs))
	for _, ev := range evs {
		wg.Go(func() {
			// handle hands a message back (Retry) after too many lost
			// races; the worker would redeliver it, so the test does too.
			for {
				err := s.handle(context.Background(), message(t, ev))
				if err == nil || bus.IsPermanent(err) {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	raw := ledger(t, n.JS, "e4")
	if len(raw) != len(evs) {
		t.Fatalf("%d ledger entries, want %d", len(raw), len(evs))
	}
	if err := envelope.VerifyChain(raw); err != nil {
		t.Fatal(err)
	}
	if rec := record(t, s, "e4"); len(rec.Recipients) != len(evs) || rec.State != envelope.StatePartiallySigned {
		t.Fatalf("record: %d recipients, state %s", len(rec.Recipients), rec.State)
	}
}

func TestInvalidEventIsPermanent(t *testing.T) {
	s, _ := newService(t)
	if err := s.handle(t.Context(), &bus.Message{Data: []byte("{not json")}); !bus.IsPermanent(err) {
		t.Fatalf("err %v, want permanent", err)
	}
	ev := event(t, "e5", envelope.Type("bogus"), 0)
	if err := s.handle(t.Context(), message(t, ev)); !bus.IsPermanent(err) {
		t.Fatalf("err %v, want permanent", err)
	}
}

// A burst of one envelope's events, queued together in its lane, is
// applied in one record write and one publish: the ledger holds each
// entry once, in stored order, and the bucket saw a single write.
func TestBurstOfOneEnvelopeIsOneWrite(t *testing.T) {
	s, n := newService(t)
	evs := []envelope.Event{
		event(t, "b1", envelope.TypeSent, 0),
		event(t, "b1", envelope.TypeDelivered, 1),
		event(t, "b1", envelope.TypeCompleted, 3),
	}
	// Stored before statesync runs, so its lane holds them all at once.
	if err := bus.PublishEvents(t.Context(), n.JS, evs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	meshtest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		info, err := n.StreamInfo(t.Context(), bus.StreamState)
		if err != nil {
			return err
		}
		if info.State.Msgs != 0 {
			return fmt.Errorf("STATE holds %d messages", info.State.Msgs)
		}
		return nil
	})
	raw := ledger(t, n.JS, "b1")
	if err := envelope.VerifyChain(raw); err != nil {
		t.Fatal(err)
	}
	var types []envelope.Type
	for _, r := range raw {
		var e envelope.Entry
		if err := json.Unmarshal(r, &e); err != nil {
			t.Fatal(err)
		}
		types = append(types, e.Type)
	}
	if fmt.Sprint(types) != "[sent delivered completed]" {
		t.Fatalf("ledger %v, want the three events once, in stored order", types)
	}
	kv, err := n.StreamInfo(t.Context(), "KV_"+bus.BucketEnvelopes)
	if err != nil {
		t.Fatal(err)
	}
	if kv.State.LastSeq != 1 {
		t.Fatalf("the envelopes bucket saw %d writes, want 1 for the burst", kv.State.LastSeq)
	}
}
