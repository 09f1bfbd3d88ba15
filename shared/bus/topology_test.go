package bus_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/subjects"
)

func TestSubjects(t *testing.T) {
	tests := []struct{ got, want string }{
		{bus.RawSubject("acme", "docusign", "env-1"), "raw.acme.docusign.env-1"},
		{bus.RawSubject("acme", "docusign", ""), "raw.acme.docusign._"},
		{bus.StateSubject("acme", "ZW52"), "state.acme.ZW52"},
		{bus.DLQSubject("verifier", "acme"), "dlq.verifier.acme"},
		{bus.DLQSubject("verifier", ""), "dlq.verifier._"},
		{bus.DLQSubject("verifier", "a.b"), "dlq.verifier._"},
		{bus.DLQSubject("statesync", "*"), "dlq.statesync._"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestSetupIdempotentAndConcurrent(t *testing.T) {
	n := meshtest.StartNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topo := bus.Topology{RawMaxAge: time.Hour}
	if err := bus.Setup(ctx, n.JS, topo); err != nil {
		t.Fatalf("first Setup: %v", err)
	}
	if err := bus.Setup(ctx, n.JS, topo); err != nil {
		t.Fatalf("second Setup: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = bus.Setup(ctx, n.JS, topo) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Setup %d: %v", i, err)
		}
	}

	streams := []struct {
		name      string
		subject   string
		retention jetstream.RetentionPolicy
		maxAge    time.Duration
		dup       time.Duration
	}{
		{bus.StreamRaw, "raw.>", jetstream.LimitsPolicy, time.Hour, 2 * time.Minute},
		{bus.StreamState, "state.>", jetstream.WorkQueuePolicy, 0, 2 * time.Minute},
		{bus.StreamEnvelopes, "envelope.>", jetstream.LimitsPolicy, 0, 10 * time.Minute},
		{bus.StreamDLQ, "dlq.>", jetstream.LimitsPolicy, bus.DefaultDLQMaxAge, 2 * time.Minute},
		{bus.StreamNotify, "notify.>", jetstream.WorkQueuePolicy, 0, 2 * time.Minute},
		{bus.StreamExport, "export.>", jetstream.WorkQueuePolicy, 0, 2 * time.Minute},
		{bus.StreamAudit, "audit.>", jetstream.LimitsPolicy, bus.DefaultDLQMaxAge, 2 * time.Minute},
	}
	for _, s := range streams {
		t.Run(s.name, func(t *testing.T) {
			info, err := n.StreamInfo(ctx, s.name)
			if err != nil {
				t.Fatal(err)
			}
			c := info.Config
			subjects := 1
			if s.name == bus.StreamNotify {
				// NOTIFY also holds the notifier's timers.
				subjects = 2
				if c.Subjects[1] != bus.TimerSubjects || !c.AllowMsgSchedules {
					t.Fatalf("NOTIFY holds no timers: %+v", c)
				}
			}
			if len(c.Subjects) != subjects || c.Subjects[0] != s.subject || c.Retention != s.retention ||
				c.MaxAge != s.maxAge || c.Duplicates != s.dup || c.Storage != jetstream.FileStorage {
				t.Fatalf("config %+v", c)
			}
		})
	}
	for _, b := range []string{bus.BucketEnvelopes, bus.BucketCursors} {
		kv, err := n.JS.KeyValue(ctx, b)
		if err != nil {
			t.Fatalf("bucket %s: %v", b, err)
		}
		st, err := kv.Status(ctx)
		if err != nil || st.History() != 1 {
			t.Fatalf("bucket %s: history %d, err %v", b, st.History(), err)
		}
	}
	for _, c := range []struct{ stream, family, filter string }{
		{bus.StreamRaw, bus.ConsumerVerifier, "raw."}, {bus.StreamState, bus.ConsumerStatesync, "state."},
	} {
		for p := range subjects.DefaultPartitions {
			durable := subjects.PartitionConsumer(c.family, p)
			cons, err := n.JS.Consumer(ctx, c.stream, durable)
			if err != nil {
				t.Fatalf("consumer %s: %v", durable, err)
			}
			cfg := cons.CachedInfo().Config
			if cfg.AckPolicy != jetstream.AckExplicitPolicy || cfg.MaxDeliver != bus.DefaultMaxDeliver ||
				cfg.AckWait != bus.PartitionAckWait || cfg.MaxAckPending != bus.DefaultInFlight || cfg.FilterSubject != c.filter+strconv.Itoa(p)+".>" ||
				cfg.PriorityPolicy != jetstream.PriorityPolicyPinned || !slices.Equal(cfg.PriorityGroups, []string{bus.PartitionGroup}) ||
				cfg.PinnedTTL < 2*cfg.AckWait {
				t.Fatalf("consumer %s config %+v", durable, cfg)
			}
		}
		if _, err := n.JS.Consumer(ctx, c.stream, c.family); !errors.Is(err, jetstream.ErrConsumerNotFound) {
			t.Fatalf("unpartitioned consumer %s: %v", c.family, err)
		}
	}
}

func TestWorkQueueStateAllowsOneConsumerPerSubject(t *testing.T) {
	r := newRig(t, bus.Topology{})
	ctx := context.Background()
	// Work-queue retention: a second unfiltered consumer on STATE overlaps
	// statesync's and is refused by the server.
	_, err := r.js.CreateOrUpdateConsumer(ctx, bus.StreamState, bus.ConsumerConfig(bus.Topology{}, "intruder", bus.StreamState))
	if err == nil {
		t.Fatal("second overlapping consumer on work-queue STATE accepted")
	}
}

func TestConsumerConfig(t *testing.T) {
	tests := []struct {
		name    string
		topo    bus.Topology
		filter  []string
		check   func(jetstream.ConsumerConfig) bool
		explain string
	}{
		{"defaults", bus.Topology{}, nil, func(c jetstream.ConsumerConfig) bool {
			return c.MaxDeliver == 100 && c.AckWait == 30*time.Second && len(c.BackOff) == 0 && c.FilterSubject == ""
		}, "MaxDeliver 100, AckWait 30s, no backoff, no filter"},
		{"one filter", bus.Topology{}, []string{"envelope.acme.>"}, func(c jetstream.ConsumerConfig) bool {
			return c.FilterSubject == "envelope.acme.>" && c.FilterSubjects == nil
		}, "FilterSubject set"},
		{"two filters", bus.Topology{}, []string{"a.>", "b.>"}, func(c jetstream.ConsumerConfig) bool {
			return c.FilterSubject == "" && len(c.FilterSubjects) == 2
		}, "FilterSubjects set"},
		{"backoff sets ack wait and is capped by max deliver", bus.Topology{MaxDeliver: 2, Backoff: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}},
			nil, func(c jetstream.ConsumerConfig) bool {
				return c.AckWait == time.Second && len(c.BackOff) == 2 && c.MaxDeliver == 2
			}, "AckWait = Backoff[0], len(BackOff) <= MaxDeliver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := bus.ConsumerConfig(tt.topo, "d", "S", tt.filter...)
			if c.Durable != "d" || c.AckPolicy != jetstream.AckExplicitPolicy || !tt.check(c) {
				t.Fatalf("%+v: want %s", c, tt.explain)
			}
		})
	}
}

// A data dir from before lanes holds partition consumers with one message
// in flight and no priority group: Setup turns them into pinned lanes
// without losing their place in RAW (nothing acked comes again).
func TestSetupUpgradesPartitionConsumersInPlace(t *testing.T) {
	n := meshtest.StartNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bus.Setup(ctx, n.JS, bus.Topology{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	durable := subjects.PartitionConsumer(bus.ConsumerVerifier, 0)
	old := bus.ConsumerConfig(bus.Topology{}, durable, bus.StreamRaw, "raw.0.>")
	old.MaxAckPending = 1
	if _, err := n.JS.UpdateConsumer(ctx, bus.StreamRaw, old); err != nil {
		t.Fatalf("make the old layout: %v", err)
	}
	if _, err := n.JS.Publish(ctx, "raw.acme.docusign.env-1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	cons, err := n.JS.Consumer(ctx, bus.StreamRaw, durable)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := cons.Fetch(1)
	if err != nil {
		t.Fatal(err)
	}
	for m := range msgs.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := bus.Setup(ctx, n.JS, bus.Topology{Partitions: 1}); err != nil {
		t.Fatalf("Setup over the old layout: %v", err)
	}
	cons, err = n.JS.Consumer(ctx, bus.StreamRaw, durable)
	if err != nil {
		t.Fatal(err)
	}
	info := cons.CachedInfo()
	if info.Config.PriorityPolicy != jetstream.PriorityPolicyPinned || info.Config.MaxAckPending != bus.DefaultInFlight {
		t.Fatalf("after Setup: policy %v, max ack pending %d", info.Config.PriorityPolicy, info.Config.MaxAckPending)
	}
	if info.AckFloor.Stream != 1 || info.NumPending != 0 {
		t.Fatalf("after Setup: ack floor %d, pending %d; the acked message would come again", info.AckFloor.Stream, info.NumPending)
	}
}
