package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
)

func entry(t *testing.T, envelopeID string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"tenant": "bench", "envelope_id": envelopeID, "type": "sent", "seq": 1})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPipelineMatchesEntriesOverNATS(t *testing.T) {
	n := meshtest.StartNATS(t)
	p := NewPipeline()
	if _, err := p.Subscribe(n.Conn); err != nil {
		t.Fatal(err)
	}
	tr := p.Phase("ph")
	start := time.Now()
	for i := range uint64(20) {
		tr.Ack(tr.ID(i), time.Now())
	}
	for i := range uint64(20) {
		if err := n.Conn.Publish("envelope.bench."+tr.ID(i)+".sent", entry(t, tr.ID(i))); err != nil {
			t.Fatal(err)
		}
	}
	// A duplicate, an entry of no phase and garbage.
	for _, d := range [][]byte{entry(t, tr.ID(0)), entry(t, "other-1"), []byte("{")} {
		if err := n.Conn.Publish("envelope.bench.x.sent", d); err != nil {
			t.Fatal(err)
		}
	}
	if drained, stalled := tr.Drain(context.Background(), 5*time.Second); !drained || stalled {
		t.Fatalf("Drain = %v, %v; want drained", drained, stalled)
	}
	meshtest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if got := p.Unmatched(); got != 2 {
			return fmt.Errorf("unmatched = %d, want 2", got)
		}
		return nil
	})
	r := tr.Result(start, true)
	if r.Acked != 20 || r.Matched != 20 || r.Missing != 0 || r.Entries != 21 || r.EndToEnd.Count != 20 || r.EntriesPerSecond <= 0 {
		t.Fatalf("result = %+v", r)
	}
}

func TestTrackerDrainGivesUpWhenIdle(t *testing.T) {
	p := NewPipeline()
	tr := p.Phase("idle")
	tr.Ack(tr.ID(0), time.Now())
	tr.Ack(tr.ID(1), time.Now())
	p.Entry(entry(t, tr.ID(0)), time.Now())
	if drained, stalled := tr.Drain(context.Background(), 200*time.Millisecond); drained || !stalled {
		t.Fatalf("Drain = %v, %v with an entry missing; want stalled", drained, stalled)
	}
	r := tr.Result(time.Now().Add(-time.Second), false)
	if r.Matched != 1 || r.Missing != 1 || r.Drained {
		t.Fatalf("result = %+v", r)
	}
}

func TestTrackerEntryBeforeAck(t *testing.T) {
	p := NewPipeline()
	tr := p.Phase("early")
	now := time.Now()
	p.Entry(entry(t, tr.ID(0)), now)
	tr.Ack(tr.ID(0), now.Add(time.Millisecond))
	if drained, _ := tr.Drain(context.Background(), time.Second); !drained {
		t.Fatal("Drain failed")
	}
	r := tr.Result(now, true)
	if r.Matched != 1 || r.EndToEnd.Max != 0 {
		t.Fatalf("an entry overtaking its ack must count as zero latency: %+v", r)
	}
}

func TestTrackerDrainHonoursContext(t *testing.T) {
	tr := NewPipeline().Phase("ctx")
	tr.Ack(tr.ID(0), time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if drained, stalled := tr.Drain(ctx, time.Hour); drained || stalled {
		t.Fatalf("Drain = %v, %v after cancel; want neither", drained, stalled)
	}
}
