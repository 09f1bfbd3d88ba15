package drift

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

const (
	tenant = "acme"
	kind   = "docusign"
	envID  = "env-1"
)

var (
	t0    = time.Date(2026, 1, 13, 7, 0, 0, 0, time.UTC)
	alice = envelope.RecipientRef{ID: "1", Email: "alice@example.com"}
	bob   = envelope.RecipientRef{ID: "2", Email: "bob@example.com"}
)

// record applies webhook events of the given types to an empty record.
func record(t *testing.T, evs ...envelope.Event) *envelope.Record {
	t.Helper()
	var rec envelope.Record
	for i, ev := range evs {
		ev.Tenant, ev.Provider, ev.EnvelopeID, ev.Source = tenant, kind, envID, envelope.SourceWebhook
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = t0.Add(time.Duration(i) * time.Minute)
		}
		ev.ID = envelope.EventID(tenant, kind, envID, ev.Type, ev.Recipient, ev.OccurredAt)
		next, _, err := envelope.Apply(rec, ev, t0)
		if err != nil {
			t.Fatal(err)
		}
		rec = next
	}
	return &rec
}

func ev(t envelope.Type, r *envelope.RecipientRef) envelope.Event {
	return envelope.Event{Type: t, Recipient: r}
}

func status(s envelope.State, rs ...providers.RecipientStatus) providers.Status {
	return providers.Status{EnvelopeID: envID, State: s, ChangedAt: t0.Add(time.Hour), Recipients: rs}
}

func signed(r envelope.RecipientRef) providers.RecipientStatus {
	return providers.RecipientStatus{Recipient: r, State: providers.RecipientSigned}
}

func viewed(r envelope.RecipientRef) providers.RecipientStatus {
	return providers.RecipientStatus{Recipient: r, State: providers.RecipientDelivered}
}

func TestEvents(t *testing.T) {
	tests := []struct {
		name string
		rec  func(t *testing.T) *envelope.Record
		st   providers.Status
		want []envelope.Type
		// wantState is the State of the corrected event, if one is due.
		wantState envelope.State
	}{
		{
			name: "unknown envelope gets every event",
			rec:  func(*testing.T) *envelope.Record { return nil },
			st:   status(envelope.StateCompleted, signed(alice), signed(bob)),
			want: []envelope.Type{envelope.TypeRecipientSigned, envelope.TypeRecipientSigned, envelope.TypeCompleted},
		},
		{
			// The demo's one-in-four failure: bob's view callback was lost,
			// and by the time of the poll alice's signature had moved the
			// envelope past delivered — the view was judged by the
			// envelope's state and never published.
			name: "a lost view behind another signer's signature",
			rec: func(t *testing.T) *envelope.Record {
				return record(t, ev(envelope.TypeSent, nil), ev(envelope.TypeRecipientSigned, &alice))
			},
			st:   status(envelope.StatePartiallySigned, signed(alice), viewed(bob)),
			want: []envelope.Type{envelope.TypeDelivered},
		},
		{
			name: "in step: nothing",
			rec: func(t *testing.T) *envelope.Record {
				return record(t, ev(envelope.TypeSent, nil), ev(envelope.TypeRecipientSigned, &alice), ev(envelope.TypeCompleted, nil))
			},
			st: status(envelope.StateCompleted, signed(alice)),
		},
		{
			name: "missed completion and a signature",
			rec: func(t *testing.T) *envelope.Record {
				return record(t, ev(envelope.TypeSent, nil), ev(envelope.TypeRecipientSigned, &alice))
			},
			st:   status(envelope.StateCompleted, signed(alice), signed(bob)),
			want: []envelope.Type{envelope.TypeRecipientSigned, envelope.TypeCompleted},
		},
		{
			name: "provider behind us: nothing (ranks never go down)",
			rec: func(t *testing.T) *envelope.Record {
				return record(t, ev(envelope.TypeSent, nil), ev(envelope.TypeDelivered, nil))
			},
			st: status(envelope.StateSent),
		},
		{
			name: "provider still sent, we are terminal: nothing",
			rec: func(t *testing.T) *envelope.Record {
				return record(t, ev(envelope.TypeVoided, nil))
			},
			st: status(envelope.StateSent),
		},
		{
			name: "different terminal state: corrected",
			rec: func(t *testing.T) *envelope.Record {
				return record(t, ev(envelope.TypeSent, nil), ev(envelope.TypeVoided, nil))
			},
			st:        status(envelope.StateCompleted, signed(alice)),
			want:      []envelope.Type{envelope.TypeRecipientSigned, envelope.TypeCorrected},
			wantState: envelope.StateCompleted,
		},
		{
			name: "conflict resolved to the state that stands: corrected clears it",
			rec: func(t *testing.T) *envelope.Record {
				return record(t, ev(envelope.TypeCompleted, nil), ev(envelope.TypeVoided, nil))
			},
			st:        status(envelope.StateCompleted),
			want:      []envelope.Type{envelope.TypeCorrected},
			wantState: envelope.StateCompleted,
		},
		{
			name: "conflict while the provider is not terminal: wait",
			rec: func(t *testing.T) *envelope.Record {
				return record(t, ev(envelope.TypeCompleted, nil), ev(envelope.TypeVoided, nil))
			},
			st: status(envelope.StateDelivered),
		},
		{
			name: "partially signed at the provider: the signature only",
			rec:  func(t *testing.T) *envelope.Record { return record(t, ev(envelope.TypeSent, nil)) },
			st:   status(envelope.StatePartiallySigned, signed(alice)),
			want: []envelope.Type{envelope.TypeRecipientSigned},
		},
		{
			name: "created at the provider: nothing to say",
			rec:  func(*testing.T) *envelope.Record { return nil },
			st:   status(envelope.StateCreated),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Events(tt.rec(t), tt.st, tenant, kind, t0)
			var types []envelope.Type
			for _, e := range got {
				types = append(types, e.Type)
				if e.Source != envelope.SourcePoll {
					t.Errorf("%s: source %q, want poll", e.Type, e.Source)
				}
				if e.Type == envelope.TypeCorrected && e.State != tt.wantState {
					t.Errorf("corrected to %q, want %q", e.State, tt.wantState)
				}
			}
			if !slices.Equal(types, tt.want) {
				t.Fatalf("events %v, want %v", types, tt.want)
			}
		})
	}
}

// TestEventsConverge is the reconciler's promise as a property: whatever
// countersign saw of an envelope's webhooks, applying the poll's events
// brings it to the provider's state, and a second poll finds nothing.
func TestEventsConverge(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	terminals := []envelope.State{envelope.StateCompleted, envelope.StateDeclined, envelope.StateVoided, envelope.StateExpired}
	for i := range 500 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			final := terminals[rng.IntN(len(terminals))]
			st := status(final, signed(alice))
			switch rng.IntN(3) {
			case 0:
				st.Recipients = append(st.Recipients, signed(bob))
			case 1:
				st.Recipients = append(st.Recipients, viewed(bob)) // viewed, never signed
			}
			// The webhooks countersign saw: a random subset, maybe with a
			// conflicting terminal event.
			var seen []envelope.Event
			for _, e := range []envelope.Event{ev(envelope.TypeSent, nil), ev(envelope.TypeDelivered, nil), ev(envelope.TypeDelivered, &bob), ev(envelope.TypeRecipientSigned, &alice)} {
				if rng.IntN(2) == 0 {
					seen = append(seen, e)
				}
			}
			if rng.IntN(3) == 0 {
				other := terminals[rng.IntN(len(terminals))]
				seen = append(seen, ev(envelope.Type(other), nil))
			}
			rec := record(t, seen...)
			for round := range 2 {
				evs := Events(rec, st, tenant, kind, rec.UpdatedAt)
				if round == 1 && len(evs) > 0 {
					t.Fatalf("second poll found %d events: %+v", len(evs), evs)
				}
				for _, e := range evs {
					next, _, err := envelope.Apply(*rec, e, t0)
					if err != nil {
						t.Fatal(err)
					}
					rec = &next
				}
			}
			if rec.State != final || rec.Conflict {
				t.Fatalf("state %q (conflict %v) after the poll, want %q", rec.State, rec.Conflict, final)
			}
			for _, rs := range st.Recipients {
				got, ok := rec.Recipient(rs.Recipient)
				if !ok || got.State.Rank() < envelope.RecipientState(rs.State).Rank() {
					t.Fatalf("recipient %s is %q after the poll, want %q", rs.Recipient.ID, got.State, rs.State)
				}
			}
		})
	}
}
