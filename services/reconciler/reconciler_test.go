package reconciler

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/providers"
)

var (
	alice = envelope.RecipientRef{ID: "1", Email: "alice@example.com"}
	bob   = envelope.RecipientRef{ID: "2", Email: "bob@example.com"}
)

func signed(r envelope.RecipientRef) providers.RecipientStatus {
	return providers.RecipientStatus{Recipient: r, State: providers.RecipientSigned}
}

func TestChangeListConvergesUnknownAndBehindEnvelopes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	changed := t0.Add(-10 * time.Minute)
	// env-a: never heard of; env-b: we saw it sent; env-c: in step.
	f.docusign.set(providers.Status{EnvelopeID: "env-a", State: envelope.StateCompleted, ChangedAt: changed, Recipients: []providers.RecipientStatus{signed(alice)}})
	f.docusign.set(providers.Status{EnvelopeID: "env-b", State: envelope.StateDeclined, ChangedAt: changed})
	f.docusign.set(providers.Status{EnvelopeID: "env-c", State: envelope.StateSent, ChangedAt: changed})
	f.state.apply(t, webhook("docusign", "env-b", envelope.TypeSent, nil, t0.Add(-time.Hour)))
	f.state.apply(t, webhook("docusign", "env-c", envelope.TypeSent, nil, changed))

	res, err := f.svc.Reconcile(ctx, "acme", "docusign", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Tenant: "acme", Provider: "docusign", Checked: 3, Drift: 2, Published: 3}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	for id, st := range map[string]envelope.State{"env-a": envelope.StateCompleted, "env-b": envelope.StateDeclined, "env-c": envelope.StateSent} {
		if got, _ := f.state.state("acme", id); got != st {
			t.Errorf("%s: state %q, want %q", id, got, st)
		}
	}
	for _, ev := range f.state.takePublished() {
		if ev.Source != envelope.SourcePoll {
			t.Errorf("event %s has source %q, want poll", ev.Type, ev.Source)
		}
	}
	// The first round looked back stale_after; the cursor moved to the
	// round's start less the overlap, and the next round starts there.
	if f.docusign.since[0] != t0.Add(-time.Hour) {
		t.Fatalf("first window from %s, want %s", f.docusign.since[0], t0.Add(-time.Hour))
	}
	f.clock.Advance(5 * time.Minute)
	res, err = f.svc.Reconcile(ctx, "acme", "docusign", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != 0 || res.Drift != 0 {
		t.Fatalf("second round %+v: want nothing new", res)
	}
	if got := f.docusign.since[1]; got != t0.Add(-DefaultOverlap) {
		t.Fatalf("second window from %s, want %s", got, t0.Add(-DefaultOverlap))
	}
	// A trigger with an older since reads it without moving the cursor back.
	if _, err := f.svc.Reconcile(ctx, "acme", "docusign", t0.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.state.Cursor(ctx, "acme", "docusign"); c.Since.Before(t0.Add(5*time.Minute - DefaultOverlap)) {
		t.Fatalf("cursor went back to %s", c.Since)
	}
}

func TestBareChangeListIsCompletedByAStatusWhereBehind(t *testing.T) {
	f := newFixture(t)
	f.docusign.bare = true
	changed := t0.Add(-10 * time.Minute)
	// Unknown and part-way signed: the list alone yields no event.
	f.docusign.set(providers.Status{EnvelopeID: "env-p", State: envelope.StatePartiallySigned, ChangedAt: changed, Recipients: []providers.RecipientStatus{signed(alice)}})
	// Known and in step: no single-envelope GET.
	f.docusign.set(providers.Status{EnvelopeID: "env-s", State: envelope.StateSent, ChangedAt: changed})
	f.state.apply(t, webhook("docusign", "env-s", envelope.TypeSent, nil, changed))
	if _, err := f.svc.Reconcile(context.Background(), "acme", "docusign", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.docusign.counts(); n != 1 {
		t.Fatalf("%d single-envelope GETs, want 1 (env-p)", n)
	}
	if st, _ := f.state.state("acme", "env-p"); st != envelope.StatePartiallySigned {
		t.Fatalf("env-p state %q, want partially_signed", st)
	}
}

func TestSweepChecksPendingAndConflictingEnvelopes(t *testing.T) {
	tests := []struct {
		name    string
		seen    []envelope.Type
		truth   envelope.State
		checked bool
		want    envelope.State
	}{
		{name: "pending, completed at the provider", seen: []envelope.Type{envelope.TypeSent}, truth: envelope.StateCompleted, checked: true, want: envelope.StateCompleted},
		{name: "pending and still pending", seen: []envelope.Type{envelope.TypeSent, envelope.TypeDelivered}, truth: envelope.StateDelivered, checked: true, want: envelope.StateDelivered},
		{name: "terminal: not asked", seen: []envelope.Type{envelope.TypeSent, envelope.TypeCompleted}, truth: envelope.StateVoided, want: envelope.StateCompleted},
		{name: "conflict: the provider's truth wins", seen: []envelope.Type{envelope.TypeCompleted, envelope.TypeVoided}, truth: envelope.StateVoided, checked: true, want: envelope.StateVoided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for i, typ := range tt.seen {
				f.state.apply(t, webhook("adobesign", "agr-1", typ, nil, t0.Add(time.Duration(i-10)*time.Minute)))
			}
			f.adobe.set(providers.Status{EnvelopeID: "agr-1", State: tt.truth})
			if _, err := f.svc.Reconcile(context.Background(), "acme", "adobesign", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if n, _ := f.adobe.counts(); (n > 0) != tt.checked {
				t.Fatalf("%d status calls, want checked=%v", n, tt.checked)
			}
			if st, conflict := f.state.state("acme", "agr-1"); st != tt.want || conflict {
				t.Fatalf("state %q (conflict %v), want %q", st, conflict, tt.want)
			}
		})
	}
}

func TestDocuSignEnvelopeAskedAtMostEvery15Minutes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Stale (unchanged for over stale_after) and unchanged at the
	// provider, so the change list does not cover it.
	f.state.apply(t, webhook("docusign", "env-old", envelope.TypeSent, nil, t0.Add(-3*time.Hour)))
	f.clock.Advance(2 * time.Hour)
	f.docusign.set(providers.Status{EnvelopeID: "env-old", State: envelope.StateSent, ChangedAt: t0.Add(-3 * time.Hour)})
	steps := []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {5 * time.Minute, 1}, {9 * time.Minute, 1}, {2 * time.Minute, 2}}
	for i, s := range steps {
		f.clock.Advance(s.advance)
		if _, err := f.svc.Reconcile(ctx, "acme", "docusign", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.docusign.counts(); n != s.want {
			t.Fatalf("round %d: %d single-envelope GETs, want %d", i, n, s.want)
		}
	}
}

func TestAPIFailureEntersIncidentModeUntilCalm(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tg := f.svc.targets["acme/docusign"]
	if got := tg.interval(); got != 5*time.Minute {
		t.Fatalf("calm interval %s", got)
	}
	f.docusign.err = errors.New("fake: 503 after retries")
	_, err := f.svc.Reconcile(ctx, "acme", "docusign", time.Time{})
	if !isAPI(err) {
		t.Fatalf("err = %v, want an API error", err)
	}
	if got := tg.interval(); got != time.Minute {
		t.Fatalf("interval during the incident %s, want 1m", got)
	}
	if v := testutil.ToFloat64(f.svc.metrics.incident.WithLabelValues("acme", "docusign")); v != 1 {
		t.Fatalf("incident gauge %v, want 1", v)
	}
	if c, _ := f.state.Cursor(ctx, "acme", "docusign"); !c.Since.IsZero() {
		t.Fatalf("cursor moved on a failed round: %+v", c)
	}
	f.docusign.err = nil
	if _, err := f.svc.Reconcile(ctx, "acme", "docusign", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := tg.interval(); got != 5*time.Minute {
		t.Fatalf("interval after calm returned %s, want 5m", got)
	}
}

func TestLease(t *testing.T) {
	f := newFixture(t)
	release, err := f.state.Acquire(context.Background(), "acme", "adobesign", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// A scheduled round is skipped while another replica polls.
	if _, err := f.svc.poll(context.Background(), f.svc.targets["acme/adobesign"], time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(f.svc.metrics.polls.WithLabelValues("acme", "adobesign", "lease_held")); v != 1 {
		t.Fatalf("lease_held polls %v, want 1", v)
	}
	// A trigger waits for it, up to its deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := f.svc.Reconcile(ctx, "acme", "adobesign", time.Time{}); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("err = %v, want ErrLeaseHeld", err)
	}
	release()
	if _, err := f.svc.Reconcile(context.Background(), "acme", "adobesign", time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestOnlyProvidersWithAPIAreReconciled(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"standardwebhooks", "dropboxsign"} {
		if _, err := f.svc.Reconcile(context.Background(), "acme", p, time.Time{}); !errors.Is(err, ErrUnknownTarget) {
			t.Errorf("%s: err = %v, want ErrUnknownTarget", p, err)
		}
	}
	if got := len(f.svc.Targets()); got != 2 {
		t.Fatalf("%d targets, want 2", got)
	}
}

func TestRunPollsOnSchedule(t *testing.T) {
	f := newFixture(t)
	// The cursor says the last round was an interval ago: Run polls at once.
	for _, kind := range []string{"docusign", "adobesign"} {
		_ = f.state.SetCursor(context.Background(), "acme", kind, Cursor{LastRound: t0.Add(-time.Hour)})
	}
	f.state.apply(t, webhook("adobesign", "agr-9", envelope.TypeSent, nil, t0.Add(-time.Minute)))
	f.adobe.set(providers.Status{EnvelopeID: "agr-9", State: envelope.StateExpired})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	meshtest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if st, _ := f.state.state("acme", "agr-9"); st != envelope.StateExpired {
			return fmt.Errorf("state %q, want expired", st)
		}
		return nil
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if _, lists := f.docusign.counts(); lists != 1 {
		t.Fatalf("docusign listed %d times, want 1", lists)
	}
}
