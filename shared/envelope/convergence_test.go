package envelope

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// history generates a realistic envelope history in provider order: sent
// (perhaps also seen by a poll), delivered, recipients failing delivery or
// authentication and then signing or declining, and at most one terminal
// event. Recipients are named by id and email, by email only, or by a mix of
// id-only, email-only and both (the first reference always both, so the
// record can link them); email case varies between events.
func history(rng *rand.Rand) []Event {
	var events []Event
	at := t0
	add := func(typ Type, r *RecipientRef) {
		at = at.Add(time.Duration(1+rng.IntN(600)) * time.Second)
		e := event(fmt.Sprintf("e%02d", len(events)), typ, "")
		e.Recipient, e.OccurredAt = r, at
		events = append(events, e)
	}
	add(TypeSent, nil)
	if rng.IntN(3) == 0 {
		add(TypeSent, nil) // the same happening seen by a poll, another id
	}
	for range rng.IntN(3) {
		add(TypeDelivered, nil)
	}
	allSigned, anyDeclined := true, false
	for i := range 1 + rng.IntN(4) {
		id, email := fmt.Sprintf("r%d", i), fmt.Sprintf("signer%d@example.com", i)
		style := rng.IntN(3)
		first := true
		ref := func() *RecipientRef {
			mail := email
			if rng.IntN(2) == 0 {
				mail = strings.ToUpper(email[:1]) + email[1:]
			}
			switch {
			case style == 1:
				return &RecipientRef{Email: mail}
			case style == 2 && !first:
				return []*RecipientRef{{ID: id}, {Email: mail}, {ID: id, Email: mail}}[rng.IntN(3)]
			}
			first = false
			return &RecipientRef{ID: id, Email: mail}
		}
		for range rng.IntN(3) {
			add(TypeRecipientDeliveryFailed, ref())
		}
		for range rng.IntN(3) {
			add(TypeRecipientAuthFailed, ref())
		}
		if rng.IntN(2) == 0 {
			add(TypeDelivered, ref()) // "viewed by" this recipient
		}
		switch n := rng.IntN(10); {
		case n < 7:
			add(TypeRecipientSigned, ref())
			if rng.IntN(4) == 0 {
				add(TypeRecipientSigned, ref()) // a poll's view of it
			}
		case n < 8:
			add(TypeRecipientDeclined, ref())
			allSigned, anyDeclined = false, true
		default:
			allSigned = false
		}
		if rng.IntN(3) == 0 {
			// What the notifier did: audit entries that must change nothing,
			// wherever they land in the order.
			add([]Type{TypeReminderSent, TypeEscalated, TypeRecipientReplaced}[rng.IntN(3)], ref())
		}
	}
	switch n := rng.IntN(10); {
	case anyDeclined && n < 8:
		add(TypeDeclined, nil)
	case allSigned && n < 8:
		add(TypeCompleted, nil)
	case n == 8:
		add([]Type{TypeVoided, TypeExpired}[rng.IntN(2)], nil)
	}
	if rng.IntN(4) == 0 {
		add([]Type{TypeExported, TypeExpiryWarning, TypePurged}[rng.IntN(3)], nil)
	}
	return events
}

// arrival shuffles events and delivers some of them more than once.
func arrival(rng *rand.Rand, events []Event) []Event {
	out := slices.Clone(events)
	for range rng.IntN(len(events) + 1) {
		out = append(out, events[rng.IntN(len(events))])
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestConvergence is the property the design promises: any permutation of an
// envelope's events, with any duplication, reaches the same state and
// recipients as the in-order sequence, its ledger holds each distinct event
// exactly once, and the ledger is an intact chain.
func TestConvergence(t *testing.T) {
	histories, orders := 500, 6
	if testing.Short() {
		histories = 100
	}
	rng := rand.New(rand.NewPCG(20250301, 7))
	for h := range histories {
		events := history(rng)
		want, wantEntries := applyAll(t, Record{}, events...)
		checkLedger(t, events, want, wantEntries)
		for o := range orders {
			got, entries := applyAll(t, Record{}, arrival(rng, events)...)
			if got.State != want.State || got.Conflict || !reflect.DeepEqual(got.Recipients, want.Recipients) ||
				!reflect.DeepEqual(got.Applied, want.Applied) {
				t.Fatalf("history %d order %d diverged:\n got %s %+v\nwant %s %+v\nevents %s",
					h, o, got.State, got.Recipients, want.State, want.Recipients, describe(events))
			}
			checkLedger(t, events, got, entries)
		}
	}
}

// checkLedger checks that entries record each distinct event exactly once,
// that they are the record's outbox, and that they verify as published.
func checkLedger(t *testing.T, events []Event, rec Record, entries []Entry) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.ID]++
	}
	for _, e := range events {
		if seen[e.ID] != 1 {
			t.Fatalf("event %s (%s) has %d ledger entries, want 1", e.ID, e.Type, seen[e.ID])
		}
	}
	if len(seen) != len(entries) || rec.Seq != uint64(len(entries)) || !reflect.DeepEqual(rec.Outbox, entries) {
		t.Fatalf("ledger: %d entries for %d events, record seq %d, outbox matches %v",
			len(entries), len(seen), rec.Seq, reflect.DeepEqual(rec.Outbox, entries))
	}
	raw := make([][]byte, len(entries))
	for i, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		raw[i] = b
	}
	if err := VerifyChain(raw); err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
}

func describe(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "\n  %s %s", e.ID, e.Type)
		if e.Recipient != nil {
			fmt.Fprintf(&b, " %+v", *e.Recipient)
		}
	}
	return b.String()
}
