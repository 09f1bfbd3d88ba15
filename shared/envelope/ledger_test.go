package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// TestComputeHashVector pins the hash to the contract's definition, with the
// canonical form written out by hand rather than produced by the code under
// test.
func TestComputeHashVector(t *testing.T) {
	e := Entry{
		ID: "ev<1>", Tenant: "acme", Provider: "docusign", EnvelopeID: "env-1",
		Type: TypeRecipientSigned, State: StatePartiallySigned, PreviousState: StateSent,
		Recipient:  &EntryRecipient{ID: "r1", Email: "ann@example.com", State: RecipientSigned},
		OccurredAt: "2025-03-01T12:00:00Z", RecordedAt: "2025-03-01T12:00:01.5Z",
		Source: SourceWebhook, Seq: 2, PrevHash: "abc", Hash: "ignored",
	}
	canon := `{"envelope_id":"env-1","id":"ev<1>","occurred_at":"2025-03-01T12:00:00Z",` +
		`"prev_hash":"abc","previous_state":"sent","provider":"docusign",` +
		`"recipient":{"email":"ann@example.com","id":"r1","state":"signed"},` +
		`"recorded_at":"2025-03-01T12:00:01.5Z","seq":2,"source":"webhook",` +
		`"state":"partially_signed","tenant":"acme","type":"recipient_signed"}`
	sum := sha256.Sum256([]byte("abc\n" + canon))
	want := hex.EncodeToString(sum[:])
	got, err := e.ComputeHash()
	if err != nil || got != want {
		t.Errorf("ComputeHash = %q, %v; want %q", got, err, want)
	}
}

// chain returns the marshalled ledger of a small envelope history.
func chain(t testing.TB, envelopeID string) [][]byte {
	t.Helper()
	var events []Event
	for _, e := range []Event{
		event("1", TypeSent, ""), event("2", TypeDelivered, ""), event("3", TypeRecipientSigned, "a"),
		event("4", TypeSent, ""), event("5", TypeCompleted, ""),
	} {
		e.EnvelopeID = envelopeID
		events = append(events, e)
	}
	_, entries := applyAll(t, Record{}, events...)
	raw := make([][]byte, len(entries))
	for i, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		raw[i] = b
	}
	return raw
}

// edit rewrites one field of a raw entry, keeping everything else.
func edit(t testing.TB, raw []byte, key string, value any) []byte {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	if value == nil {
		delete(obj, key)
	} else {
		obj[key] = value
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyChain(t *testing.T) {
	good := chain(t, "env-1")
	other := chain(t, "env-2")
	with := func(f func(c [][]byte) [][]byte) [][]byte {
		c := make([][]byte, len(good))
		copy(c, good)
		return f(c)
	}
	tests := []struct {
		name  string
		chain [][]byte
		ok    bool
	}{
		{"intact", good, true},
		{"empty", nil, true},
		{"reformatted and reordered keys still verify", with(func(c [][]byte) [][]byte {
			var buf bytes.Buffer
			if err := json.Indent(&buf, edit(t, c[2], "zzz_unused", nil), "", "  "); err != nil {
				t.Fatal(err)
			}
			c[2] = buf.Bytes()
			return c
		}), true},
		{"changed state", with(func(c [][]byte) [][]byte { c[2] = edit(t, c[2], "state", "completed"); return c }), false},
		{"changed recorded_at", with(func(c [][]byte) [][]byte { c[0] = edit(t, c[0], "recorded_at", "2030-01-01T00:00:00Z"); return c }), false},
		{"added field", with(func(c [][]byte) [][]byte { c[4] = edit(t, c[4], "note", "x"); return c }), false},
		{"removed recipient", with(func(c [][]byte) [][]byte { c[2] = edit(t, c[2], "recipient", nil); return c }), false},
		{"changed hash", with(func(c [][]byte) [][]byte { c[4] = edit(t, c[4], "hash", "00"); return c }), false},
		{"removed hash", with(func(c [][]byte) [][]byte { c[1] = edit(t, c[1], "hash", nil); return c }), false},
		{"removed entry", with(func(c [][]byte) [][]byte { return append(c[:2], c[3:]...) }), false},
		{"removed first entry", good[1:], false},
		{"reordered entries", with(func(c [][]byte) [][]byte { c[1], c[2] = c[2], c[1]; return c }), false},
		{"entry of another envelope", with(func(c [][]byte) [][]byte { c[3] = other[3]; return c }), false},
		{"chains of two envelopes", append(good[:len(good):len(good)], other...), false},
		{"duplicate key", with(func(c [][]byte) [][]byte {
			c[1] = append([]byte(`{"state":"voided",`), c[1][1:]...)
			return c
		}), false},
		{"duplicate key in recipient", with(func(c [][]byte) [][]byte {
			c[2] = bytes.Replace(c[2], []byte(`"recipient":{`), []byte(`"recipient":{"state":"declined",`), 1)
			return c
		}), false},
		{"data after the object", with(func(c [][]byte) [][]byte { c[1] = append(c[1], []byte(`{}`)...); return c }), false},
		{"not an object", with(func(c [][]byte) [][]byte { c[1] = []byte(`[1,2]`); return c }), false},
		{"null seq", with(func(c [][]byte) [][]byte {
			c[1] = bytes.Replace(c[1], []byte(`"seq":2`), []byte(`"seq":null`), 1)
			return c
		}), false},
		{"not JSON", with(func(c [][]byte) [][]byte { c[1] = []byte(`{"seq":2`); return c }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyChain(tc.chain)
			if tc.ok && err != nil {
				t.Errorf("VerifyChain: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrChainBroken) {
				t.Errorf("VerifyChain error %v, want ErrChainBroken", err)
			}
		})
	}
}

func TestVerifyEntries(t *testing.T) {
	_, entries := applyAll(t, Record{}, event("1", TypeSent, ""), event("2", TypeRecipientSigned, "a"), event("3", TypeCompleted, ""))
	if err := VerifyEntries(entries); err != nil {
		t.Fatalf("VerifyEntries: %v", err)
	}
	entries[1].Recipient.State = RecipientDeclined
	err := VerifyEntries(entries)
	if !errors.Is(err, ErrChainBroken) {
		t.Fatalf("tampered: %v, want ErrChainBroken", err)
	}
	if want := "seq 2"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %q does not name %q", err, want)
	}
}

// FuzzVerifyChain feeds arbitrary bytes to the verifier, alone and after a
// valid first entry: it must never panic, and every failure is a broken chain.
func FuzzVerifyChain(f *testing.F) {
	good := chain(f, "env-1")
	for _, b := range good {
		f.Add(b)
	}
	f.Add([]byte(`{"seq":1,"prev_hash":"","hash":""}`))
	f.Add([]byte(`{"seq":1e400}`))
	f.Add([]byte(`{"a":"\ud800"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range [][][]byte{{b}, {good[0], b}} {
			if err := VerifyChain(c); err != nil && !errors.Is(err, ErrChainBroken) {
				t.Fatalf("VerifyChain error %v does not wrap ErrChainBroken", err)
			}
		}
	})
}

func BenchmarkApply(b *testing.B) {
	events := make([]Event, 0, 64)
	for i := range 64 {
		typ := []Type{TypeSent, TypeDelivered, TypeRecipientDeliveryFailed, TypeRecipientSigned}[i%4]
		events = append(events, event(fmt.Sprint(i), typ, fmt.Sprint("r", i%8)))
	}
	events[0].Recipient, events[1].Recipient = nil, nil
	b.ReportAllocs()
	for b.Loop() {
		rec := Record{}
		for _, e := range events {
			var err error
			if rec, _, err = Apply(rec, e, now); err != nil {
				b.Fatal(err)
			}
			rec.AckOutbox(rec.Seq) // as the publisher does once JetStream acks

		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
}

func BenchmarkComputeHash(b *testing.B) {
	_, entry, err := Apply(Record{}, event("1", TypeRecipientSigned, "a"), now)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := entry.ComputeHash(); err != nil {
			b.Fatal(err)
		}
	}
}
