package playbook

import (
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
)

var t0 = time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)

func playbook() *config.Notify {
	return &config.Notify{
		Reminders:             []config.Duration{config.Duration(24 * time.Hour), config.Duration(72 * time.Hour)},
		EscalateAfterFailures: 2, EscalateUnsignedAfter: config.Duration(240 * time.Hour),
		ExpiryWarning: config.Duration(48 * time.Hour),
		Alternates:    map[string]string{"CFO@acme.example": "deputy@acme.example"},
		Pause:         config.Pause{Rate: 0.02, Window: 50},
	}
}

func entry(t envelope.Type, state envelope.State, r *envelope.EntryRecipient) envelope.Entry {
	return envelope.Entry{Tenant: "acme", Provider: "dropboxsign", EnvelopeID: "env-1", Type: t, State: state,
		Recipient: r, OccurredAt: envelope.FormatTime(t0)}
}

func record(state envelope.State, rs ...envelope.Recipient) *envelope.Record {
	return &envelope.Record{Tenant: "acme", Provider: "dropboxsign", EnvelopeID: "env-1", State: state, Recipients: rs}
}

func TestPlanEntry(t *testing.T) {
	n := playbook()
	alice := &envelope.EntryRecipient{ID: "a", Email: "alice@acme.example", State: envelope.RecipientSent}
	t.Run("sent naming a recipient sets its reminders and the unsigned deadline", func(t *testing.T) {
		p := PlanEntry(n, entry(envelope.TypeSent, envelope.StateSent, alice), nil, time.Time{})
		if len(p.Schedule) != 3 || p.Schedule[0].Due != t0.Add(24*time.Hour) || p.Schedule[1].N != 2 || p.Schedule[2].Kind != KindUnsigned {
			t.Fatalf("schedule %+v", p.Schedule)
		}
	})
	t.Run("envelope sent: every waiting recipient, and the expiry warning", func(t *testing.T) {
		rec := record(envelope.StateSent, envelope.Recipient{ID: "a", State: envelope.RecipientSent}, envelope.Recipient{ID: "b", State: envelope.RecipientSigned})
		p := PlanEntry(n, entry(envelope.TypeSent, envelope.StateSent, nil), rec, t0.Add(7*24*time.Hour))
		if len(p.Schedule) != 4 || p.Schedule[0].Kind != KindExpiry || p.Schedule[0].Due != t0.Add(5*24*time.Hour) {
			t.Fatalf("schedule %+v", p.Schedule)
		}
	})
	t.Run("signed cancels the recipient", func(t *testing.T) {
		signed := *alice
		signed.State = envelope.RecipientSigned
		p := PlanEntry(n, entry(envelope.TypeRecipientSigned, envelope.StatePartiallySigned, &signed), nil, time.Time{})
		if p.CancelRecipient == nil || p.CancelRecipient.ID != "a" || len(p.Schedule) != 0 {
			t.Fatalf("plan %+v", p)
		}
	})
	t.Run("terminal cancels the envelope; expired escalates the waiting", func(t *testing.T) {
		rec := record(envelope.StateExpired, envelope.Recipient{ID: "a", State: envelope.RecipientDelivered})
		p := PlanEntry(n, entry(envelope.TypeExpired, envelope.StateExpired, nil), rec, time.Time{})
		if !p.CancelEnvelope || len(p.Now) != 1 || p.Now[0].Kind != KindExpired || p.Now[0].Recipient.ID != "a" {
			t.Fatalf("plan %+v", p)
		}
		p = PlanEntry(n, entry(envelope.TypeCompleted, envelope.StateCompleted, nil), rec, time.Time{})
		if !p.CancelEnvelope || len(p.Now) != 0 {
			t.Fatalf("plan %+v", p)
		}
	})
	t.Run("the second failure escalates, the first does not", func(t *testing.T) {
		e := entry(envelope.TypeRecipientDeliveryFailed, envelope.StateSent, alice)
		one := record(envelope.StateSent, envelope.Recipient{ID: "a", State: envelope.RecipientSent, DeliveryFailures: 1})
		if p := PlanEntry(n, e, one, time.Time{}); len(p.Now) != 0 {
			t.Fatalf("escalated after one failure: %+v", p)
		}
		two := record(envelope.StateSent, envelope.Recipient{ID: "a", State: envelope.RecipientSent, DeliveryFailures: 1, AuthFailures: 1})
		if p := PlanEntry(n, e, two, time.Time{}); len(p.Now) != 1 || p.Now[0].Kind != KindFailures {
			t.Fatalf("plan %+v", p)
		}
	})
	t.Run("audit entries and tenants without a playbook ask nothing", func(t *testing.T) {
		if p := PlanEntry(n, entry(envelope.TypeReminderSent, envelope.StateSent, alice), nil, time.Time{}); !p.Empty() {
			t.Fatalf("plan %+v", p)
		}
		if p := PlanEntry(nil, entry(envelope.TypeSent, envelope.StateSent, alice), nil, time.Time{}); !p.Empty() {
			t.Fatalf("plan %+v", p)
		}
	})
}

func TestCheck(t *testing.T) {
	n := playbook()
	job := Job{Tenant: "acme", Provider: "dropboxsign", EnvelopeID: "env-1", Recipient: envelope.RecipientRef{ID: "a"},
		Kind: KindRemind, N: 1, Base: t0, Due: t0.Add(24 * time.Hour)}
	waiting := record(envelope.StateSent, envelope.Recipient{ID: "a", State: envelope.RecipientSent})
	cases := []struct {
		name string
		j    Job
		rec  *envelope.Record
		now  time.Time
		want string
	}{
		{"due", job, waiting, job.Due, ""},
		{"unknown envelope", job, nil, job.Due, SkipUnknownEnvelope},
		{"envelope done", job, record(envelope.StateCompleted, envelope.Recipient{ID: "a", State: envelope.RecipientSent}), job.Due, SkipEnvelopeDone},
		{"recipient done", job, record(envelope.StateSent, envelope.Recipient{ID: "a", State: envelope.RecipientDeclined}), job.Due, SkipRecipientDone},
		{"superseded", job, waiting, t0.Add(80 * time.Hour), SkipSuperseded},
		{"unconfigured n", Job{Tenant: "acme", Recipient: envelope.RecipientRef{ID: "a"}, Kind: KindRemind, N: 3}, waiting, job.Due, SkipUnconfigured},
	}
	done := *waiting
	done.Applied = []string{job.EventID(envelope.TypeReminderSent)}
	cases = append(cases, struct {
		name string
		j    Job
		rec  *envelope.Record
		now  time.Time
		want string
	}{"already recorded", job, &done, job.Due, SkipDone})
	for _, c := range cases {
		if got := Check(n, c.j, c.rec, c.now); got != c.want {
			t.Errorf("%s: Check = %q, want %q", c.name, got, c.want)
		}
	}
	esc := Job{Kind: KindFailures, Recipient: envelope.RecipientRef{ID: "c", Email: "cfo@acme.example"}}
	if got := Alternate(n, esc); got != "deputy@acme.example" {
		t.Errorf("Alternate = %q", got)
	}
	esc.Kind = KindExpired
	if got := Alternate(n, esc); got != "" {
		t.Errorf("Alternate on an expired envelope = %q, want none", got)
	}
}

func TestJobIdentity(t *testing.T) {
	a := Job{Tenant: "acme", Provider: "dropboxsign", EnvelopeID: "env/1", Recipient: envelope.RecipientRef{Email: "Bob@x.example"}, Kind: KindRemind, N: 2}
	b := a
	b.Due = t0 // when it runs does not change what it is
	if a.EventID(envelope.TypeReminderSent) != b.EventID(envelope.TypeReminderSent) || a.TimerSubject() != b.TimerSubject() {
		t.Fatal("identity depends on the due time")
	}
	if s := a.TimerSubject(); len(s) == 0 || s[:len("timer.acme.")] != "timer.acme." {
		t.Fatalf("subject %s", s)
	}
	if a.ActSubject()[:len("notify.act.")] != "notify.act." {
		t.Fatalf("act subject %s", a.ActSubject())
	}
}

func TestWindowPause(t *testing.T) {
	p := config.Pause{Rate: 0.02, Window: 50}
	var w Window
	for i := range 60 {
		e := entry(envelope.TypeSent, envelope.StateSent, nil)
		e.EnvelopeID = "env-" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		w.Observe(e, p.Window)
		w.Observe(e, p.Window) // idempotent
	}
	if len(w.Envelopes) != 50 {
		t.Fatalf("window holds %d, want 50", len(w.Envelopes))
	}
	bounce := func(id string) {
		e := entry(envelope.TypeRecipientDeliveryFailed, envelope.StateSent, &envelope.EntryRecipient{ID: "x"})
		e.EnvelopeID = id
		w.Observe(e, p.Window)
	}
	bounce(w.Envelopes[0].ID)
	if w.Evaluate(p, t0) {
		t.Fatal("1 bounce in 50 (2 %) paused; the rate must pass 2 %")
	}
	bounce(w.Envelopes[0].ID) // the same envelope twice counts once
	if w.Evaluate(p, t0) {
		t.Fatal("a second bounce of the same envelope paused")
	}
	bounce(w.Envelopes[1].ID)
	if !w.Evaluate(p, t0) || !w.Paused {
		t.Fatal("2 of 50 (4 %) did not pause")
	}
	w.Resume(t0)
	if w.Paused || len(w.Envelopes) != 0 {
		t.Fatalf("after resume %+v", w)
	}
}
