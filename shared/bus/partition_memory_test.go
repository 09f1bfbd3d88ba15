package bus_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/subjects"
)

// storageOf returns, per durable on stream, whether it keeps its state in
// memory.
func storageOf(t *testing.T, r *rig, stream string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	s, err := r.js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	l := s.ListConsumers(ctx)
	for info := range l.Info() {
		out[info.Name] = info.Config.MemoryStorage
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// collect runs a statesync-like worker that records every body it
// handles until STATE is empty, then stops it and returns them sorted.
func collect(t *testing.T, r *rig) []string {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []string
	)
	stop := r.run(r.stateConfig(), func(_ context.Context, m *bus.Message) error {
		mu.Lock()
		seen = append(seen, string(m.Data))
		mu.Unlock()
		return nil
	})
	meshtest.CheckFor(t, waitLong, 20*time.Millisecond, func() error {
		if n := r.streamMsgs(bus.StreamState); n != 0 {
			return fmt.Errorf("STATE holds %d messages", n)
		}
		return nil
	})
	if err := stop(); err != nil {
		t.Fatalf("worker: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Sorted(slices.Values(seen))
}

// With StateAckInMemory the STATE partition consumers keep no state file
// (RAW's still do); a server restart loses their state, and Setup at the
// next start recreates them: every message not yet acked is delivered,
// none is lost.
func TestStateAckInMemorySurvivesRestart(t *testing.T) {
	topo := bus.Topology{Partitions: 2, StateAckInMemory: true}
	r := newRig(t, topo)
	for name, mem := range storageOf(t, r, bus.StreamState) {
		if !mem {
			t.Errorf("STATE consumer %s keeps its state on disk", name)
		}
	}
	for name, mem := range storageOf(t, r, bus.StreamRaw) {
		if mem {
			t.Errorf("RAW consumer %s keeps its state in memory", name)
		}
	}
	for _, e := range []string{"a", "b", "c"} {
		r.publishState("acme", "env-"+e, e)
	}
	if got := collect(t, r); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("before the restart handled %v", got)
	}
	for _, e := range []string{"d", "e", "f", "g"} {
		r.publishState("acme", "env-"+e, e)
	}
	r.nats.Restart(t)
	r.js = r.nats.JS
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := bus.Setup(ctx, r.js, topo); err != nil {
		t.Fatalf("Setup after restart: %v", err)
	}
	if got := collect(t, r); !slices.Equal(got, []string{"d", "e", "f", "g"}) {
		t.Fatalf("after the restart handled %v, want d e f g", got)
	}
}

// Setup moves existing STATE consumers between file and memory state (the
// server cannot change it in place): pending messages are delivered after
// either move.
func TestSetupSwitchesStateAckStorage(t *testing.T) {
	r := newRig(t, bus.Topology{Partitions: 2})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	for i, inMemory := range []bool{true, false} {
		body := fmt.Sprint(i)
		r.publishState("acme", "env-"+body, body)
		if err := bus.Setup(ctx, r.js, bus.Topology{Partitions: 2, StateAckInMemory: inMemory}); err != nil {
			t.Fatalf("Setup in memory=%v: %v", inMemory, err)
		}
		st := storageOf(t, r, bus.StreamState)
		if len(st) != 2 {
			t.Fatalf("STATE consumers %v, want 2 partitions", st)
		}
		for name, mem := range st {
			if mem != inMemory || subjects.ConsumerFamily(name) != bus.ConsumerStatesync {
				t.Errorf("consumer %s in memory=%v, want %v", name, mem, inMemory)
			}
		}
		if got := collect(t, r); !slices.Equal(got, []string{body}) {
			t.Fatalf("in memory=%v handled %v, want [%s]", inMemory, got, body)
		}
	}
}
