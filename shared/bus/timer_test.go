package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
)

// TestTimers pins the server semantics the notifier relies on: a schedule
// in the NOTIFY work stream fires once onto notify.<subject> at its time,
// survives a server restart, and a purge cancels it.
func TestTimers(t *testing.T) {
	r := newRig(t, bus.Topology{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := r.js.CreateOrUpdateConsumer(ctx, bus.StreamNotify, bus.ConsumerConfig(r.topo, "jobs", bus.StreamNotify, "notify.>")); err != nil {
		t.Fatal(err)
	}
	kept := bus.TimerSubject("acme", "env-1", "alice", "remind", 1)
	cancelled := bus.TimerSubject("acme", "env-1", "bob", "remind", 1)
	at := time.Now().Add(3 * time.Second)
	for _, s := range []string{kept, cancelled} {
		if err := bus.ScheduleTimer(ctx, r.js, s, at, []byte(s), nil, s); err != nil {
			t.Fatal(err)
		}
		// A repeat within the duplicate window is deduplicated.
		if err := bus.ScheduleTimer(ctx, r.js, s, at, []byte(s), nil, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := bus.CancelTimers(ctx, r.js, bus.TimerFilter("acme", "env-1", "bob")); err != nil {
		t.Fatal(err)
	}
	// The schedule survives a restart of the server.
	r.nats.Restart(t)
	js := r.nats.JS

	cons, err := js.Consumer(ctx, bus.StreamNotify, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	var got []jetstream.Msg
	meshtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		b, err := cons.Fetch(10, jetstream.FetchMaxWait(200*time.Millisecond))
		if err != nil {
			return err
		}
		for m := range b.Messages() {
			got = append(got, m)
			_ = m.Ack()
		}
		if len(got) == 0 {
			return context.DeadlineExceeded
		}
		return nil
	})
	// Nothing else arrives: the cancelled timer stays cancelled, the fired
	// one fired once.
	b, err := cons.Fetch(10, jetstream.FetchMaxWait(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range b.Messages() {
		got = append(got, m)
	}
	if len(got) != 1 {
		t.Fatalf("fired %d messages, want 1", len(got))
	}
	m := got[0]
	if m.Subject() != bus.FiredSubject(kept) || string(m.Data()) != kept || m.Headers().Get(bus.HeaderScheduler) != kept {
		t.Fatalf("fired %s %q scheduler %q", m.Subject(), m.Data(), m.Headers().Get(bus.HeaderScheduler))
	}
	if early := time.Until(at); early > 0 {
		t.Fatalf("fired %s early", early)
	}
	s, err := js.Stream(ctx, bus.StreamNotify)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Fatalf("NOTIFY holds %d messages after the fire and the ack, want 0", info.State.Msgs)
	}
}

// TestSetupUpgradesNotify: a NOTIFY stream declared before timers existed
// (notify.> only, no schedules) is updated in place by Setup.
func TestSetupUpgradesNotify(t *testing.T) {
	n := meshtest.StartNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	old := jetstream.StreamConfig{Name: bus.StreamNotify, Subjects: []string{"notify.>"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute}
	if _, err := n.JS.CreateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := bus.Setup(ctx, n.JS, bus.Topology{}); err != nil {
		t.Fatalf("Setup over the old NOTIFY: %v", err)
	}
	if err := bus.ScheduleTimer(ctx, n.JS, bus.TimerSubject("acme", "e", "r", "remind", 1), time.Now().Add(time.Hour), nil, nil, ""); err != nil {
		t.Fatalf("schedule after the upgrade: %v", err)
	}
}
