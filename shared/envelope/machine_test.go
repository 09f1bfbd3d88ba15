package envelope

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

var (
	t0  = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	now = time.Date(2025, 3, 1, 13, 0, 0, 123456789, time.FixedZone("CET", 3600))
)

// event builds a valid event of type typ with the given id; recipient is
// an id, or "@"-prefixed for an email-only recipient.
func event(id string, typ Type, recipient string) Event {
	e := Event{
		ID: id, Tenant: "acme", Provider: "docusign", EnvelopeID: "env-1",
		Type: typ, OccurredAt: t0, Source: SourceWebhook,
	}
	switch {
	case recipient == "":
	case recipient[0] == '@':
		e.Recipient = &RecipientRef{Email: recipient[1:] + "@example.com"}
	default:
		e.Recipient = &RecipientRef{ID: recipient, Email: recipient + "@example.com"}
	}
	return e
}

func corrected(id string, s State) Event {
	e := event(id, TypeCorrected, "")
	e.State, e.Source = s, SourceProviderAPI
	return e
}

// applyAll applies events in order and returns the record and the entries.
func applyAll(t testing.TB, rec Record, events ...Event) (Record, []Entry) {
	t.Helper()
	var entries []Entry
	for _, e := range events {
		var entry *Entry
		var err error
		rec, entry, err = Apply(rec, e, now)
		if err != nil {
			t.Fatalf("Apply(%s %s): %v", e.ID, e.Type, err)
		}
		if entry != nil {
			entries = append(entries, *entry)
		}
	}
	return rec, entries
}

func TestApplyRules(t *testing.T) {
	sent := event("s", TypeSent, "")
	delivered := event("d", TypeDelivered, "")
	completed := event("c", TypeCompleted, "")
	signedA := event("sa", TypeRecipientSigned, "a")
	tests := []struct {
		name      string
		prior     []Event
		ev        Event
		wantType  Type // "" for a duplicate (no entry)
		wantState State
		wantPrev  State
		conflict  bool
		recipient *Recipient // the event's recipient after, if any
	}{
		{"sent from new", nil, sent, TypeSent, StateSent, StateCreated, false, nil},
		{"delivered naming a recipient moves it even on a terminal envelope", []Event{sent, completed},
			event("da", TypeDelivered, "a"), TypeDelivered, StateCompleted, StateCompleted, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientDelivered}},
		{"delivered naming an already signed recipient is stale", []Event{sent, signedA},
			event("da", TypeDelivered, "a"), TypeStale, StatePartiallySigned, StatePartiallySigned, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientSigned}},
		{"delivered from new skips sent", nil, delivered, TypeDelivered, StateDelivered, StateCreated, false, nil},
		{"sent after delivered is stale", []Event{delivered}, sent, TypeStale, StateDelivered, StateDelivered, false, nil},
		{"second sent event is stale", []Event{sent}, event("s2", TypeSent, ""), TypeStale, StateSent, StateSent, false, nil},
		{"duplicate id yields nothing", []Event{sent}, sent, "", StateSent, "", false, nil},
		{"recipient signed raises to partially_signed", []Event{sent}, signedA, TypeRecipientSigned, StatePartiallySigned, StateSent, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientSigned}},
		{"delivered after partially_signed is stale", []Event{signedA}, delivered, TypeStale, StatePartiallySigned, StatePartiallySigned, false, nil},
		{"second signer keeps partially_signed", []Event{signedA}, event("sb", TypeRecipientSigned, "b"), TypeRecipientSigned, StatePartiallySigned, StatePartiallySigned, false,
			&Recipient{ID: "b", Email: "b@example.com", State: RecipientSigned}},
		{"same recipient signed again is stale", []Event{signedA}, event("sa2", TypeRecipientSigned, "a"), TypeStale, StatePartiallySigned, StatePartiallySigned, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientSigned}},
		{"declined after signed is stale", []Event{signedA}, event("da", TypeRecipientDeclined, "a"), TypeStale, StatePartiallySigned, StatePartiallySigned, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientSigned}},
		{"recipient declined leaves envelope", []Event{sent}, event("da", TypeRecipientDeclined, "a"), TypeRecipientDeclined, StateSent, StateSent, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientDeclined}},
		{"delivery failure counts on new recipient", []Event{sent}, event("f", TypeRecipientDeliveryFailed, "a"), TypeRecipientDeliveryFailed, StateSent, StateSent, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientSent, DeliveryFailures: 1}},
		{"second delivery failure counts", []Event{event("f1", TypeRecipientDeliveryFailed, "a")}, event("f2", TypeRecipientDeliveryFailed, "a"), TypeRecipientDeliveryFailed, StateCreated, StateCreated, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientSent, DeliveryFailures: 2}},
		{"auth failure counts after signing", []Event{signedA}, event("x", TypeRecipientAuthFailed, "a"), TypeRecipientAuthFailed, StatePartiallySigned, StatePartiallySigned, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientSigned, AuthFailures: 1}},
		{"completed from delivered", []Event{delivered}, completed, TypeCompleted, StateCompleted, StateDelivered, false, nil},
		{"completed from new", nil, completed, TypeCompleted, StateCompleted, StateCreated, false, nil},
		{"sent after completed is stale", []Event{completed}, sent, TypeStale, StateCompleted, StateCompleted, false, nil},
		{"recipient signed after completed updates recipient only", []Event{completed}, signedA, TypeRecipientSigned, StateCompleted, StateCompleted, false,
			&Recipient{ID: "a", Email: "a@example.com", State: RecipientSigned}},
		{"same terminal again is stale", []Event{completed}, event("c2", TypeCompleted, ""), TypeStale, StateCompleted, StateCompleted, false, nil},
		{"different terminal is a conflict", []Event{completed}, event("v", TypeVoided, ""), TypeConflict, StateCompleted, StateCompleted, true, nil},
		{"expired then declined is a conflict", []Event{event("e", TypeExpired, "")}, event("dc", TypeDeclined, ""), TypeConflict, StateExpired, StateExpired, true, nil},
		{"correction resolves conflict", []Event{completed, event("v", TypeVoided, "")}, corrected("k", StateVoided), TypeCorrected, StateVoided, StateCompleted, false, nil},
		{"correction confirming state is stale and clears conflict", []Event{completed, event("v", TypeVoided, "")}, corrected("k", StateCompleted), TypeStale, StateCompleted, StateCompleted, false, nil},
		{"correction may lower a rank", []Event{delivered}, corrected("k", StateSent), TypeCorrected, StateSent, StateDelivered, false, nil},
		{"terminal after correction out of terminal", []Event{completed, corrected("k", StateDelivered)}, event("v", TypeVoided, ""), TypeVoided, StateVoided, StateDelivered, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, _ := applyAll(t, Record{}, tc.prior...)
			before := rec.clone()
			got, entry, err := Apply(rec, tc.ev, now)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !reflect.DeepEqual(rec, before) {
				t.Errorf("Apply modified its input record")
			}
			if got.State != tc.wantState || got.Conflict != tc.conflict {
				t.Errorf("state %s conflict %v, want %s %v", got.State, got.Conflict, tc.wantState, tc.conflict)
			}
			if tc.wantType == "" {
				if entry != nil || !reflect.DeepEqual(got, rec) {
					t.Errorf("duplicate: entry %+v, record changed %v", entry, !reflect.DeepEqual(got, rec))
				}
				return
			}
			if entry == nil {
				t.Fatalf("no entry, want %s", tc.wantType)
			}
			if entry.Type != tc.wantType || entry.State != tc.wantState || entry.PreviousState != tc.wantPrev {
				t.Errorf("entry type %s state %s prev %s, want %s %s %s",
					entry.Type, entry.State, entry.PreviousState, tc.wantType, tc.wantState, tc.wantPrev)
			}
			if tc.recipient == nil {
				if entry.Recipient != nil {
					t.Errorf("entry recipient %+v, want none", entry.Recipient)
				}
			} else {
				rc, ok := got.Recipient(*tc.ev.Recipient)
				if !ok || rc != *tc.recipient {
					t.Errorf("recipient %+v (found %v), want %+v", rc, ok, *tc.recipient)
				}
				want := EntryRecipient{ID: tc.recipient.ID, Email: tc.recipient.Email, State: tc.recipient.State}
				if entry.Recipient == nil || *entry.Recipient != want {
					t.Errorf("entry recipient %+v, want %+v", entry.Recipient, want)
				}
			}
			if entry.Seq != rec.Seq+1 || entry.PrevHash != rec.LastHash || got.Seq != entry.Seq || got.LastHash != entry.Hash {
				t.Errorf("chain: entry seq %d prev %q, record seq %d last %q; before seq %d last %q",
					entry.Seq, entry.PrevHash, got.Seq, got.LastHash, rec.Seq, rec.LastHash)
			}
			if !got.HasApplied(tc.ev.ID) || !got.UpdatedAt.Equal(now) {
				t.Errorf("applied %v updated %v", got.HasApplied(tc.ev.ID), got.UpdatedAt)
			}
			if n := len(got.Outbox); n == 0 || !reflect.DeepEqual(got.Outbox[n-1], *entry) {
				t.Errorf("entry not last in outbox")
			}
		})
	}
}

func TestApplyEntryFields(t *testing.T) {
	ev := event("e1", TypeRecipientSigned, "a")
	ev.OccurredAt = time.Date(2025, 3, 1, 14, 0, 0, 500, time.FixedZone("X", -7200))
	rec, entry, err := Apply(Record{}, ev, now)
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{
		ID: "e1", Tenant: "acme", Provider: "docusign", EnvelopeID: "env-1",
		Type: TypeRecipientSigned, State: StatePartiallySigned, PreviousState: StateCreated,
		Recipient:  &EntryRecipient{ID: "a", Email: "a@example.com", State: RecipientSigned},
		OccurredAt: "2025-03-01T16:00:00.0000005Z", RecordedAt: "2025-03-01T12:00:00.123456789Z",
		Source: SourceWebhook, Seq: 1, PrevHash: "", Hash: entry.Hash,
	}
	if !reflect.DeepEqual(*entry, want) {
		t.Errorf("entry\n got %+v\nwant %+v", *entry, want)
	}
	if h, err := want.ComputeHash(); err != nil || h != entry.Hash || len(h) != 64 {
		t.Errorf("hash %q, recomputed %q, %v", entry.Hash, h, err)
	}
	if rec.Tenant != "acme" || rec.Provider != "docusign" || rec.EnvelopeID != "env-1" {
		t.Errorf("record identity %q %q %q", rec.Tenant, rec.Provider, rec.EnvelopeID)
	}
	if got, want := entry.Subject(), "envelope.acme.env-1.recipient_signed"; got != want {
		t.Errorf("Subject() = %q, want %q", got, want)
	}
	if got, want := entry.MsgID(), "ledger.acme.env-1.1"; got != want {
		t.Errorf("MsgID() = %q, want %q", got, want)
	}
}

func TestApplyInvalid(t *testing.T) {
	rec, _ := applyAll(t, Record{}, event("s", TypeSent, ""))
	mutate := func(f func(*Event)) Event {
		e := event("x", TypeSent, "")
		f(&e)
		return e
	}
	tests := []struct {
		name string
		rec  Record
		ev   Event
	}{
		{"unknown type", Record{}, mutate(func(e *Event) { e.Type = "finished" })},
		{"ledger-only type", Record{}, mutate(func(e *Event) { e.Type = TypeStale })},
		{"empty id", Record{}, mutate(func(e *Event) { e.ID = "" })},
		{"empty envelope", Record{}, mutate(func(e *Event) { e.EnvelopeID = "" })},
		{"empty provider", Record{}, mutate(func(e *Event) { e.Provider = "" })},
		{"bad tenant", Record{}, mutate(func(e *Event) { e.Tenant = "Acme" })},
		{"recipient event without recipient", Record{}, event("x", TypeRecipientSigned, "")},
		{"recipient event with empty ref", Record{}, mutate(func(e *Event) { e.Type, e.Recipient = TypeRecipientSigned, &RecipientRef{} })},
		{"correction to unknown state", Record{}, corrected("x", "done")},
		{"other tenant", rec, mutate(func(e *Event) { e.Tenant = "other" })},
		{"other envelope", rec, mutate(func(e *Event) { e.EnvelopeID = "env-2" })},
		{"other provider", rec, mutate(func(e *Event) { e.Provider = "dropboxsign" })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, entry, err := Apply(tc.rec, tc.ev, now)
			if !errors.Is(err, ErrInvalidEvent) {
				t.Errorf("error %v, want ErrInvalidEvent", err)
			}
			if entry != nil || !reflect.DeepEqual(got, tc.rec) {
				t.Errorf("invalid event changed the record or produced %+v", entry)
			}
		})
	}
}
