package bus_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/subjects"
)

// Two replicas of a worker on the partitioned STATE stream, handlers that
// take a random while and fail now and then: every envelope's messages
// are still handled (and acked) in the order they were stored, while
// different envelopes run in parallel.
func TestPartitionedWorkersKeepOrderPerEnvelope(t *testing.T) {
	r := newRig(t, bus.Topology{Partitions: 4, MaxDeliver: 10})
	const envelopes, perEnvelope = 12, 8
	var (
		mu       sync.Mutex
		order    = map[string][]int{}
		inFlight int
		maxPar   int
	)
	h := func(ctx context.Context, m *bus.Message) error {
		n, _ := strconv.Atoi(string(m.Data))
		env := m.Header.Get(bus.HeaderEnvelope)
		mu.Lock()
		inFlight++
		maxPar = max(maxPar, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond) // a handler's work, not synchronisation
		if m.Delivered == 1 && rand.IntN(5) == 0 {
			return bus.Retry(fmt.Errorf("flaky"), time.Millisecond)
		}
		mu.Lock()
		order[env] = append(order[env], n)
		mu.Unlock()
		return nil
	}
	for range 2 {
		r.run(r.stateConfig(), h)
	}
	for i := range perEnvelope {
		for e := range envelopes {
			r.publishState("acme", "env-"+strconv.Itoa(e), strconv.Itoa(i))
		}
	}
	r.waitStreamEmpty(bus.StreamState)
	mu.Lock()
	defer mu.Unlock()
	want := make([]int, perEnvelope)
	for i := range want {
		want[i] = i
	}
	for e := range envelopes {
		if got := order["env-"+strconv.Itoa(e)]; !slices.Equal(got, want) {
			t.Errorf("env-%d handled in order %v, want %v", e, got, want)
		}
	}
	if maxPar < 2 {
		t.Errorf("at most %d handlers ran at once: partitions did not run in parallel", maxPar)
	}
}

// The owner of a partition dies (its connection drops: no ack, no nak)
// while holding an envelope's first message; the envelope's second
// message is stored meanwhile. The standby replica must be handed the
// first before the second: the pin outlasts AckWait, so the old owner's
// message is due for redelivery when the partition moves.
func TestPartitionOwnerDiesAndTheNextOwnerKeepsOrder(t *testing.T) {
	t.Run("the pin outlasts the dead owner", func(t *testing.T) { ownerDies(t, false) })
	// A server restart (or an operator) drops the pin at once: the next
	// owner is fed before the dead owner's message is due again, and
	// must hold what was stored after it until it is settled.
	t.Run("the pin is dropped", func(t *testing.T) { ownerDies(t, true) })
}

func ownerDies(t *testing.T, unpin bool) {
	r := newRig(t, bus.Topology{Partitions: 1, AckWait: 2 * time.Second, MaxDeliver: 10})
	held := make(chan struct{})
	ncA, err := nats.Connect(r.nats.URL)
	if err != nil {
		t.Fatal(err)
	}
	jsA, err := jetstream.New(ncA)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	owner, err := bus.NewWorker(jsA, r.stateConfig(), func(ctx context.Context, m *bus.Message) error {
		once.Do(func() { close(held) })
		<-ctx.Done() // never settles: the process is about to die
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	go func() { _ = owner.Run(ctxA) }()
	r.publishState("acme", "env-1", "0")
	select {
	case <-held:
	case <-time.After(waitLong):
		t.Fatal("the owner never got the first message")
	}

	var (
		mu  sync.Mutex
		got []string
	)
	r.run(r.stateConfig(), func(ctx context.Context, m *bus.Message) error {
		mu.Lock()
		got = append(got, string(m.Data))
		mu.Unlock()
		return nil
	})
	ncA.Close() // the owner dies: its message is neither acked nor nak'ed
	if unpin {
		stream, err := r.js.Stream(t.Context(), bus.StreamState)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.UnpinConsumer(t.Context(), subjects.PartitionConsumer(bus.ConsumerStatesync, 0), bus.PartitionGroup); err != nil {
			t.Fatal(err)
		}
	}
	r.publishState("acme", "env-1", "1")
	r.waitStreamEmpty(bus.StreamState)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []string{"0", "1"}) {
		t.Fatalf("the next owner handled %v, want [0 1]", got)
	}
}
