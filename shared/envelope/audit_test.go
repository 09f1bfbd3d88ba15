package envelope

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func audit(id string, typ Type, recipient string, detail map[string]string) Event {
	e := event(id, typ, recipient)
	e.Source, e.Detail = SourceNotifier, Detail(detail)
	return e
}

// TestAuditEntriesChangeNothing: an audit event is recorded once, with its
// detail, and leaves state, recipients and the conflict flag as they were —
// before, during and after a terminal state.
func TestAuditEntriesChangeNothing(t *testing.T) {
	base, _ := applyAll(t, Record{}, event("s", TypeSent, ""), event("sa", TypeRecipientSigned, "a"))
	for _, tc := range []struct {
		name string
		rec  Record
	}{
		{"open", base},
		{"terminal", func() Record { r, _ := applyAll(t, base, event("c", TypeCompleted, "")); return r }()},
	} {
		for _, typ := range AuditTypes {
			ev := audit("a-"+string(typ), typ, "b", map[string]string{"via": "provider"})
			got, entry, err := Apply(tc.rec, ev, now)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.name, typ, err)
			}
			if entry == nil || entry.Type != typ || entry.State != tc.rec.State || entry.PreviousState != tc.rec.State {
				t.Fatalf("%s %s: entry %+v", tc.name, typ, entry)
			}
			if string(entry.Detail) != `{"via":"provider"}` {
				t.Errorf("%s %s: detail %s", tc.name, typ, entry.Detail)
			}
			if entry.Recipient == nil || entry.Recipient.ID != "b" || entry.Recipient.State != "" {
				t.Errorf("%s %s: recipient %+v, want b as named, with no state", tc.name, typ, entry.Recipient)
			}
			if got.State != tc.rec.State || !reflect.DeepEqual(got.Recipients, tc.rec.Recipients) || got.Conflict != tc.rec.Conflict {
				t.Errorf("%s %s changed the record: %+v", tc.name, typ, got)
			}
			again, dup, err := Apply(got, ev, now)
			if err != nil || dup != nil || again.Seq != got.Seq {
				t.Errorf("%s %s applied twice: %+v %v", tc.name, typ, dup, err)
			}
			if err := VerifyEntries(got.Outbox); err != nil {
				t.Errorf("%s %s: %v", tc.name, typ, err)
			}
		}
	}
}

// TestAuditRecipientAsRecorded: an audit entry names a known recipient as
// the record knows it (state included).
func TestAuditRecipientAsRecorded(t *testing.T) {
	rec, _ := applyAll(t, Record{}, event("s", TypeSent, ""), event("sa", TypeRecipientSigned, "a"))
	_, entry, err := Apply(rec, audit("r1", TypeReminderSent, "@a", nil), now)
	if err != nil {
		t.Fatal(err)
	}
	if entry.Recipient == nil || entry.Recipient.ID != "a" || entry.Recipient.State != RecipientSigned {
		t.Errorf("recipient %+v, want a signed", entry.Recipient)
	}
	if entry.Detail != nil {
		t.Errorf("detail %s, want none", entry.Detail)
	}
}

// TestStaleAndConflictSayWhatTheyStoodFor: the ledger tells which event a
// stale or conflict entry replaced, and the chain still verifies from the
// published bytes.
func TestStaleAndConflictSayWhatTheyStoodFor(t *testing.T) {
	_, entries := applyAll(t, Record{},
		event("c", TypeCompleted, ""), event("s", TypeSent, ""), event("v", TypeVoided, ""))
	want := []struct {
		typ    Type
		detail string
	}{{TypeCompleted, ""}, {TypeStale, `{"type":"sent"}`}, {TypeConflict, `{"type":"voided"}`}}
	for i, w := range want {
		if entries[i].Type != w.typ || string(entries[i].Detail) != w.detail {
			t.Errorf("entry %d: %s %s, want %s %s", i+1, entries[i].Type, entries[i].Detail, w.typ, w.detail)
		}
	}
	raw := make([][]byte, len(entries))
	for i, e := range entries {
		raw[i], _ = json.Marshal(e)
	}
	if err := VerifyChain(raw); err != nil {
		t.Fatal(err)
	}
	// The detail is hashed: changing it breaks the chain.
	raw[1] = mustReplace(t, raw[1], `"detail":{"type":"sent"}`, `"detail":{"type":"delivered"}`)
	if err := VerifyChain(raw); !errors.Is(err, ErrChainBroken) {
		t.Fatalf("tampered detail verified: %v", err)
	}
}

func mustReplace(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	s := string(b)
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return []byte(s[:i] + new + s[i+len(old):])
		}
	}
	t.Fatalf("%q not in %s", old, b)
	return nil
}

// TestAuditTypesAreLedgerSubjects: audit entries publish and parse like any.
func TestAuditTypesAreLedgerSubjects(t *testing.T) {
	for _, typ := range AuditTypes {
		if !typ.Valid() || !typ.IsLedger() || typ.IsRecipient() {
			t.Errorf("%s: valid %v ledger %v recipient %v", typ, typ.Valid(), typ.IsLedger(), typ.IsRecipient())
		}
		_, _, got, err := ParseSubject(Subject("acme", "env-1", typ))
		if err != nil || got != typ {
			t.Errorf("%s: parsed %s, %v", typ, got, err)
		}
	}
}
