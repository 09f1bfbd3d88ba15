package envelope

import "testing"

// TestSentRegistersWaitingSigner: a sent event naming a signer the record
// does not know registers it (a sent entry, not stale), so the notifier
// knows whom to remind; naming it again is stale.
func TestSentRegistersWaitingSigner(t *testing.T) {
	rec, entries := applyAll(t, Record{},
		event("e1", TypeSent, ""),
		event("e2", TypeSent, "alice"),
		event("e3", TypeSent, "alice"),
	)
	got := []Type{entries[0].Type, entries[1].Type, entries[2].Type}
	if got[0] != TypeSent || got[1] != TypeSent || got[2] != TypeStale {
		t.Fatalf("entry types %v, want [sent sent stale]", got)
	}
	if len(rec.Recipients) != 1 || rec.Recipients[0].ID != "alice" || rec.Recipients[0].State != RecipientSent {
		t.Fatalf("recipients %+v", rec.Recipients)
	}
	if entries[1].Recipient == nil || entries[1].Recipient.ID != "alice" {
		t.Fatalf("sent entry names %+v, want alice", entries[1].Recipient)
	}
}
