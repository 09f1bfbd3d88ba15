package dlq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/subjects"
)

// runWatcher runs a watcher until the test ends, once it is subscribed.
func runWatcher(t *testing.T, n *meshtest.NATS, cfg WatcherConfig) *Watcher {
	t.Helper()
	cfg.NC, cfg.JS, cfg.Logger = n.Conn, n.JS, quiet
	w, err := NewWatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watcher: %v", err)
		}
	})
	select {
	case <-w.Ready():
	case err := <-done:
		done <- nil // for the cleanup
		t.Fatalf("watcher stopped: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("watcher not ready")
	}
	return w
}

// waitEntries polls the DLQ until f matches want entries.
func waitEntries(t *testing.T, s *Store, f Filter, want int) []bus.DeadLetter {
	t.Helper()
	var got []bus.DeadLetter
	meshtest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		var err error
		if got, err = s.List(context.Background(), f); err != nil {
			return err
		}
		if len(got) != want {
			return fmt.Errorf("%d DLQ entries, want %d", len(got), want)
		}
		return nil
	})
	return got
}

func TestWatcherDeadLettersExhaustedMessages(t *testing.T) {
	cases := []struct {
		name, stream, consumer, subject string
		// removed: a work-queue message is deleted once dead-lettered; a
		// fact stream keeps its history.
		removed bool
	}{
		{"work queue", bus.StreamState, statesync0, bus.StateSubject("acme", "env-1"), true},
		{"limits stream", bus.StreamRaw, verifier0, bus.RawSubject("acme", "docusign", "env-1"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := startBus(t)
			reg := prometheus.NewRegistry()
			metrics := bus.NewMetrics(reg)
			runWatcher(t, n, WatcherConfig{Metrics: metrics})
			payload := []byte(`{"poison":true}`)
			seq := publish(t, n.JS, tc.subject, "acme", "env-1", payload, nil)
			exhaust(t, n.JS, tc.stream, tc.consumer)

			got := waitEntries(t, newTestStore(t, n), Filter{Service: subjects.ConsumerFamily(tc.consumer)}, 1)[0]
			if got.ErrorClass != ClassMaxDeliveries || got.Attempts != testMaxDeliver || got.Tenant != "acme" ||
				got.EnvelopeID != "env-1" || got.Subject != strings.Replace(tc.subject, ".", ".0.", 1) || got.Stream != tc.stream ||
				got.StreamSeq != seq || string(got.Payload) != string(payload) {
				t.Errorf("entry = %+v", got)
			}
			if got.Header[bus.HeaderTenant][0] != "acme" {
				t.Errorf("headers not kept: %v", got.Header)
			}
			if v := testutil.ToFloat64(metrics.DeadLetters.WithLabelValues(subjects.ConsumerFamily(tc.consumer), ClassMaxDeliveries)); v != 1 {
				t.Errorf("countersign_dlq_total = %v, want 1", v)
			}
			stream, err := n.JS.Stream(t.Context(), tc.stream)
			if err != nil {
				t.Fatal(err)
			}
			_, err = stream.GetMsg(t.Context(), seq)
			if removed := errors.Is(err, jetstream.ErrMsgNotFound); removed != tc.removed {
				t.Errorf("message removed = %v (err %v), want %v", removed, err, tc.removed)
			}
		})
	}
}

// Two replicas dead-lettering the same message (an advisory raced by a
// sweep, or a retried write) leave one entry.
func TestWatcherWritesOnceAcrossReplicas(t *testing.T) {
	n := startBus(t)
	seq := publish(t, n.JS, bus.RawSubject("acme", "docusign", "env-1"), "acme", "env-1", []byte(`{}`), nil)
	for range 2 {
		w, err := NewWatcher(WatcherConfig{NC: n.Conn, JS: n.JS, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.deadLetter(t.Context(), bus.StreamRaw, verifier0, seq, 2, "test", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if got := streamMsgs(t, n, bus.StreamDLQ); got != 1 {
		t.Errorf("DLQ holds %d messages, want 1", got)
	}
}

// A message exhausted while no watcher listened is found by the next
// start's sweep; a message still waiting for delivery is left alone.
func TestWatcherSweepsMissedAdvisories(t *testing.T) {
	n := startBus(t)
	dead := publish(t, n.JS, bus.StateSubject("acme", "env-1"), "acme", "env-1", []byte(`{"n":1}`), nil)
	exhaust(t, n.JS, bus.StreamState, statesync0)
	waiting := publish(t, n.JS, bus.StateSubject("acme", "env-2"), "acme", "env-2", []byte(`{"n":2}`), nil)

	runWatcher(t, n, WatcherConfig{})
	got := waitEntries(t, newTestStore(t, n), Filter{}, 1)[0]
	if got.StreamSeq != dead || got.ErrorClass != ClassMaxDeliveries || got.Service != bus.ConsumerStatesync {
		t.Errorf("entry = %+v", got)
	}
	stream, err := n.JS.Stream(t.Context(), bus.StreamState)
	if err != nil {
		t.Fatal(err)
	}
	meshtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if _, err := stream.GetMsg(t.Context(), dead); !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("dead message still stored (err %v)", err)
		}
		return nil
	})
	if _, err := stream.GetMsg(t.Context(), waiting); err != nil {
		t.Errorf("waiting message: %v", err)
	}
}

func TestNewWatcherNeedsConnections(t *testing.T) {
	if _, err := NewWatcher(WatcherConfig{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewWatcher(empty) = %v, want ErrInvalidConfig", err)
	}
	if _, err := NewStore(StoreConfig{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewStore(empty) = %v, want ErrInvalidConfig", err)
	}
}

// A crash between writing the entry and deleting the message leaves both;
// dead-lettering it again — after the DLQ's duplicates window, so the
// Nats-Msg-Id no longer guards it — finds the entry by its id and only
// deletes the message.
func TestWatcherWritesOnceAfterACrashBeforeTheDelete(t *testing.T) {
	n := startBus(t)
	seq := publish(t, n.JS, bus.StateSubject("acme", "env-1"), "acme", "env-1", []byte(`{}`), nil)
	stream, err := n.JS.Stream(t.Context(), bus.StreamState)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := stream.GetMsg(t.Context(), seq)
	if err != nil {
		t.Fatal(err)
	}
	// The entry the crashed writer left, under a Nats-Msg-Id the DLQ has
	// forgotten.
	left := maxDeliveriesLetter(raw, bus.StreamState, bus.ConsumerStatesync, 2, "test", time.Now())
	writeEntry(t, n.JS, left)

	w, err := NewWatcher(WatcherConfig{NC: n.Conn, JS: n.JS, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.deadLetter(t.Context(), bus.StreamState, bus.ConsumerStatesync, seq, 2, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := streamMsgs(t, n, bus.StreamDLQ); got != 1 {
		t.Errorf("DLQ holds %d messages, want 1", got)
	}
	if _, err := stream.GetMsg(t.Context(), seq); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("message still stored (err %v)", err)
	}
}

// The partition consumers of a one-partition topology (startBus).
var (
	statesync0 = subjects.PartitionConsumer(bus.ConsumerStatesync, 0)
	verifier0  = subjects.PartitionConsumer(bus.ConsumerVerifier, 0)
)
