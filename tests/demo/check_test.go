package demo

import (
	"errors"
	"testing"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/tests/sandbox"
)

func TestCheck(t *testing.T) {
	x := sandbox.Expected{
		EnvelopeID: "env-1", State: envelope.StatePartiallySigned,
		Recipients: []sandbox.ExpectedRecipient{
			{ID: "1", Email: "a@example.com", State: envelope.RecipientSigned},
			{ID: "2", Email: "b@example.com", State: envelope.RecipientSent},
		},
	}
	byEmail := sandbox.Expected{
		EnvelopeID: "env-2", State: envelope.StateDeclined,
		Recipients: []sandbox.ExpectedRecipient{{Email: "Ada@Example.com", State: envelope.RecipientDeclined}},
	}
	viewed := sandbox.Expected{
		EnvelopeID: "env-3", State: envelope.StateDelivered,
		Recipients: []sandbox.ExpectedRecipient{{ID: "1", State: envelope.RecipientDelivered}},
	}
	tests := []struct {
		name string
		x    sandbox.Expected
		v    EnvelopeView
		ok   bool
	}{
		{"match; an unnamed recipient may be unknown", x, EnvelopeView{State: "partially_signed",
			Recipients: []Recipient{{ID: "1", Email: "a@example.com", State: "signed"}}}, true},
		{"wrong state", x, EnvelopeView{State: "delivered",
			Recipients: []Recipient{{ID: "1", State: "signed"}}}, false},
		{"recipient behind", x, EnvelopeView{State: "partially_signed",
			Recipients: []Recipient{{ID: "1", State: "delivered"}}}, false},
		{"recipient missing", x, EnvelopeView{State: "partially_signed"}, false},
		{"recipient matched by id, not email", x, EnvelopeView{State: "partially_signed",
			Recipients: []Recipient{{ID: "9", Email: "a@example.com", State: "signed"}}}, false},
		{"a delivered recipient must be known", viewed, EnvelopeView{State: "delivered"}, false},
		{"email match ignores case", byEmail, EnvelopeView{State: "declined",
			Recipients: []Recipient{{Email: "ada@example.com", State: "declined"}}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.x, tc.v)
			if (err == nil) != tc.ok {
				t.Fatalf("Check = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrMismatch) {
				t.Fatalf("error %v does not wrap ErrMismatch", err)
			}
		})
	}
}

func TestCheckLedger(t *testing.T) {
	chain := func(ids ...string) []Entry {
		out := make([]Entry, len(ids))
		prev := ""
		for i, id := range ids {
			out[i] = Entry{ID: id, Seq: uint64(i + 1), PrevHash: prev, Hash: "h" + id}
			prev = out[i].Hash
		}
		return out
	}
	gap := chain("a", "b", "c")
	gap[2].Seq = 4
	broken := chain("a", "b")
	broken[1].PrevHash = "x"
	tests := []struct {
		name string
		l    Ledger
		ok   bool
	}{
		{"sound", Ledger{Entries: chain("a", "b", "c"), Verified: true}, true},
		{"empty", Ledger{Verified: true}, true},
		{"not verified", Ledger{Entries: chain("a"), Verified: false}, false},
		{"seq gap", Ledger{Entries: gap, Verified: true}, false},
		{"broken link", Ledger{Entries: broken, Verified: true}, false},
		{"event twice", Ledger{Entries: chain("a", "b", "a"), Verified: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLedger(tc.l)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckLedger = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrMismatch) {
				t.Fatalf("error %v does not wrap ErrMismatch", err)
			}
		})
	}
}

func TestLedgerHasSource(t *testing.T) {
	l := Ledger{Entries: []Entry{{Source: "webhook"}, {Source: "provider_api"}}}
	for _, tc := range []struct {
		source string
		want   bool
	}{{"provider_api", true}, {"webhook", true}, {"poll", false}} {
		if got := l.HasSource(tc.source); got != tc.want {
			t.Errorf("HasSource(%q) = %v, want %v", tc.source, got, tc.want)
		}
	}
}
