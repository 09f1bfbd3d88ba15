package demo

import (
	"fmt"
	"strings"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/tests/sandbox"
)

// Check compares countersign's view of an envelope with the sandbox's
// truth: the envelope state, and the state of every recipient the truth
// has moved past "sent" (delivered, signed, declined). A recipient the
// truth leaves at "sent" may be unknown to countersign: no event named
// it. Recipients are matched by provider id
// where the truth has one, else by email, case-insensitively. A
// difference returns an error wrapping ErrMismatch.
func Check(x sandbox.Expected, v EnvelopeView) error {
	if v.State != string(x.State) {
		return fmt.Errorf("%w: %s: state %q, want %q", ErrMismatch, x.EnvelopeID, v.State, x.State)
	}
	for _, r := range x.Recipients {
		if r.State == envelope.RecipientSent {
			continue
		}
		got, ok := findRecipient(v.Recipients, r)
		if !ok {
			return fmt.Errorf("%w: %s: recipient %s missing, want %q", ErrMismatch, x.EnvelopeID, recipientName(r), r.State)
		}
		if got.State != string(r.State) {
			return fmt.Errorf("%w: %s: recipient %s is %q, want %q", ErrMismatch, x.EnvelopeID, recipientName(r), got.State, r.State)
		}
	}
	return nil
}

func findRecipient(rs []Recipient, want sandbox.ExpectedRecipient) (Recipient, bool) {
	for _, r := range rs {
		if want.ID != "" && r.ID == want.ID {
			return r, true
		}
		if want.ID == "" && strings.EqualFold(r.Email, want.Email) {
			return r, true
		}
	}
	return Recipient{}, false
}

func recipientName(r sandbox.ExpectedRecipient) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Email
}

// CheckLedger checks what an auditor relies on: countersign verified the
// hash chain, seq counts 1..n without gaps, each entry links to the one
// before, and no event id appears twice. A failure returns an error
// wrapping ErrMismatch.
func CheckLedger(l Ledger) error {
	if !l.Verified {
		return fmt.Errorf("%w: ledger does not verify", ErrMismatch)
	}
	seen := make(map[string]bool, len(l.Entries))
	prev := ""
	for i, e := range l.Entries {
		if e.Seq != uint64(i+1) {
			return fmt.Errorf("%w: entry %d has seq %d", ErrMismatch, i, e.Seq)
		}
		if e.PrevHash != prev {
			return fmt.Errorf("%w: entry %d does not link to the entry before it", ErrMismatch, e.Seq)
		}
		if seen[e.ID] {
			return fmt.Errorf("%w: event %s twice in the ledger", ErrMismatch, e.ID)
		}
		seen[e.ID] = true
		prev = e.Hash
	}
	return nil
}
