package statesync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// The decisions of statesync — apply once, retry a lost CAS race, settle
// a predecessor's outbox, refuse a bad event — over in-memory fakes of
// its RecordStore and Ledger: no NATS. statesync_test.go checks the same
// against JetStream.

type fakeRecords struct {
	mu   sync.Mutex
	recs map[string]envelope.Record
	revs map[string]uint64
	// races makes that many next Puts lose to "another writer".
	races int
	gets  int
}

func (f *fakeRecords) Get(_ context.Context, tenant, id string) (envelope.Record, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	k := envelope.RecordKey(tenant, id)
	return f.recs[k], f.revs[k], nil
}

func (f *fakeRecords) Put(_ context.Context, tenant, id string, rec envelope.Record, rev uint64) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := envelope.RecordKey(tenant, id)
	if f.races > 0 {
		f.races--
		return 0, fmt.Errorf("%w: %s", bus.ErrRecordChanged, k)
	}
	if f.revs[k] != rev {
		return 0, fmt.Errorf("%w: %s", bus.ErrRecordChanged, k)
	}
	f.recs[k] = rec
	f.revs[k]++
	return f.revs[k], nil
}

type fakeLedger struct {
	mu        sync.Mutex
	published []envelope.Entry
	holds     int
}

func (f *fakeLedger) Holds(_ context.Context, e envelope.Entry) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holds++
	for _, p := range f.published {
		if p.Subject() == e.Subject() && p.Seq >= e.Seq {
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeLedger) Publish(_ context.Context, entries []envelope.Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, entries...)
	return nil
}

func (f *fakeLedger) seqs() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []uint64
	for _, e := range f.published {
		out = append(out, e.Seq)
	}
	return out
}

func fakeService(t *testing.T) (*Service, *fakeRecords, *fakeLedger) {
	t.Helper()
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	recs := &fakeRecords{recs: map[string]envelope.Record{}, revs: map[string]uint64{}}
	led := &fakeLedger{}
	now := time.Date(2026, 5, 1, 13, 0, 0, 0, time.UTC)
	s := &Service{cfg: Config{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }},
		records: recs, ledger: led, metrics: m, cache: newRecordCache()}
	return s, recs, led
}

func TestDecisionsWithoutNATS(t *testing.T) {
	t.Run("each event once, duplicates add nothing", func(t *testing.T) {
		s, _, led := fakeService(t)
		for _, ev := range []envelope.Event{
			event(t, "d1", envelope.TypeSent, 0),
			event(t, "d1", envelope.TypeSent, 0),
			event(t, "d1", envelope.TypeCompleted, 2),
			event(t, "d1", envelope.TypeCompleted, 2),
		} {
			if err := s.handle(t.Context(), message(t, ev)); err != nil {
				t.Fatal(err)
			}
		}
		if got := led.seqs(); fmt.Sprint(got) != "[1 2]" {
			t.Fatalf("published seqs %v, want [1 2]", got)
		}
	})
	t.Run("a lost compare-and-set is retried", func(t *testing.T) {
		s, recs, led := fakeService(t)
		recs.races = 3
		if err := s.handle(t.Context(), message(t, event(t, "d2", envelope.TypeSent, 0))); err != nil {
			t.Fatal(err)
		}
		if got := testutil.ToFloat64(s.metrics.casRetry); got != 3 {
			t.Fatalf("cas retries %v, want 3", got)
		}
		if len(led.seqs()) != 1 {
			t.Fatalf("published %v, want one entry", led.seqs())
		}
	})
	t.Run("endless races hand the message back", func(t *testing.T) {
		s, recs, _ := fakeService(t)
		recs.races = casAttempts
		err := s.handle(t.Context(), message(t, event(t, "d3", envelope.TypeSent, 0)))
		if !errors.Is(err, bus.ErrRecordChanged) || bus.IsPermanent(err) {
			t.Fatalf("error %v, want a transient ErrRecordChanged", err)
		}
	})
	t.Run("an outbox entry a crash left unpublished is settled first", func(t *testing.T) {
		s, recs, led := fakeService(t)
		// The predecessor wrote the record, then crashed before publishing.
		rec, entry, err := envelope.Apply(envelope.Record{}, event(t, "d4", envelope.TypeSent, 0), time.Now())
		if err != nil || entry == nil {
			t.Fatal(err)
		}
		if _, err := recs.Put(t.Context(), "acme", "d4", rec, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.handle(t.Context(), message(t, event(t, "d4", envelope.TypeCompleted, 2))); err != nil {
			t.Fatal(err)
		}
		if got := led.seqs(); fmt.Sprint(got) != "[1 2]" {
			t.Fatalf("published seqs %v, want the owed 1 then 2", got)
		}
		// Already on the ledger: settled without a second copy.
		if err := s.handle(t.Context(), message(t, event(t, "d4", envelope.TypeDelivered, 1))); err != nil {
			t.Fatal(err)
		}
		if got := led.seqs(); fmt.Sprint(got) != "[1 2 3]" {
			t.Fatalf("published seqs %v, want [1 2 3]", got)
		}
	})
	t.Run("the record this process wrote last needs no read", func(t *testing.T) {
		s, recs, led := fakeService(t)
		for _, ev := range []envelope.Event{
			event(t, "d5", envelope.TypeSent, 0),
			event(t, "d5", envelope.TypeDelivered, 1),
			event(t, "d5", envelope.TypeCompleted, 2),
		} {
			if err := s.handle(t.Context(), message(t, ev)); err != nil {
				t.Fatal(err)
			}
		}
		if got := led.seqs(); fmt.Sprint(got) != "[1 2 3]" {
			t.Fatalf("published seqs %v, want [1 2 3]", got)
		}
		if recs.gets != 1 || led.holds != 0 {
			t.Fatalf("%d record reads and %d ledger look-ups, want 1 and 0", recs.gets, led.holds)
		}
	})
	t.Run("a record another writer changed is read again", func(t *testing.T) {
		s, recs, led := fakeService(t)
		if err := s.handle(t.Context(), message(t, event(t, "d6", envelope.TypeSent, 0))); err != nil {
			t.Fatal(err)
		}
		// Another replica (a partition handed over) applies the next event.
		other := &Service{cfg: s.cfg, records: recs, ledger: led, metrics: s.metrics, cache: newRecordCache()}
		if err := other.handle(t.Context(), message(t, event(t, "d6", envelope.TypeDelivered, 1))); err != nil {
			t.Fatal(err)
		}
		if err := s.handle(t.Context(), message(t, event(t, "d6", envelope.TypeCompleted, 2))); err != nil {
			t.Fatal(err)
		}
		if got := led.seqs(); fmt.Sprint(got) != "[1 2 3]" {
			t.Fatalf("published seqs %v, want [1 2 3]: the stale cache must not fork the chain", got)
		}
		rec, _, _ := recs.Get(t.Context(), "acme", "d6")
		if rec.State != envelope.StateCompleted || len(rec.Applied) != 3 {
			t.Fatalf("record %s with %d applied, want completed with 3", rec.State, len(rec.Applied))
		}
	})
	t.Run("an undecodable event is permanent", func(t *testing.T) {
		s, _, led := fakeService(t)
		err := s.handle(t.Context(), &bus.Message{Data: []byte(`{"id":`)})
		if !bus.IsPermanent(err) {
			t.Fatalf("error %v, want permanent", err)
		}
		if len(led.seqs()) != 0 {
			t.Fatal("published something")
		}
	})
}
