package demo

import (
	"errors"
	"strings"
	"testing"
)

// entry builds a ledger entry for the notify checks.
func entry(typ, state, recipientID, email string, detail map[string]any) Entry {
	e := Entry{Type: typ, State: state, Detail: detail}
	if recipientID != "" || email != "" {
		e.Recipient = &Recipient{ID: recipientID, Email: email}
	}
	return e
}

// TestNotifyReadLedger: reminders are counted by how they went out, and
// one recorded after its recipient signed, or after the envelope ended,
// is reported; an escalation and a replacement are described.
func TestNotifyReadLedger(t *testing.T) {
	rem := func(id, email, n, via string) Entry {
		return entry("reminder_sent", "sent", id, email, map[string]any{"reminder": n, "via": via})
	}
	var n NotifyResult
	n.readLedger("env-1", Ledger{Entries: []Entry{
		entry("sent", "sent", "", "", nil),
		rem("a", "alice@x.example", "1", "provider"),
		entry("recipient_signed", "partially_signed", "a", "alice@x.example", nil),
		rem("b", "bob@x.example", "2", "provider"),
		rem("a", "alice@x.example", "2", "channels"), // after alice signed
		entry("completed", "completed", "", "", nil),
		rem("b", "bob@x.example", "3", "provider"), // after the end
	}})
	n.readLedger("env-2", Ledger{Entries: []Entry{
		entry("sent", "sent", "", "", nil),
		entry("escalated", "sent", "c", "cfo@x.example", map[string]any{"reason": "failures"}),
		entry("recipient_replaced", "sent", "c", "cfo@x.example", map[string]any{"from": "cfo@x.example", "to": "deputy@x.example"}),
	}})
	if n.Reminders != 4 || n.ViaProvider != 3 || n.ViaChannels != 1 {
		t.Errorf("reminders %d (provider %d, channels %d), want 4 (3, 1)", n.Reminders, n.ViaProvider, n.ViaChannels)
	}
	if len(n.AfterDone) != 2 || !strings.Contains(n.AfterDone[0], "#2 alice") || !strings.Contains(n.AfterDone[1], "#3 bob") {
		t.Errorf("after done %q, want alice's #2 and bob's #3", n.AfterDone)
	}
	if len(n.Escalations) != 1 || n.Escalations[0] != "env-2 cfo@x.example: failures" {
		t.Errorf("escalations %q", n.Escalations)
	}
	if len(n.Replacements) != 1 || n.Replacements[0] != "cfo@x.example → deputy@x.example" {
		t.Errorf("replacements %q", n.Replacements)
	}
	want := "env-1: sent → reminder #1 alice (provider) → alice signed → reminder #2 bob (provider) → reminder #2 alice (channels) → completed → reminder #3 bob (provider)"
	if n.Timelines[0] != want {
		t.Errorf("timeline\n%s\nwant\n%s", n.Timelines[0], want)
	}
}

// TestNotifyErr: the scenario passes only when it played out as the
// playbook says.
func TestNotifyErr(t *testing.T) {
	good := func() *NotifyResult {
		return &NotifyResult{Reminders: 2, ViaProvider: 2, RemindCalls: 2, ReplaceCalls: 1,
			Escalations: []string{"e"}, Replacements: []string{"r"}, Mails: []string{"a", "b", "c"}, MessageIDs: 3}
	}
	tests := []struct {
		name   string
		change func(*NotifyResult)
		ok     bool
	}{
		{"pass", func(*NotifyResult) {}, true},
		{"did not finish", func(n *NotifyResult) { n.PlayErr = ErrNotify }, false},
		{"no provider reminder", func(n *NotifyResult) { n.ViaProvider, n.ViaChannels = 0, 2 }, false},
		{"fewer remind calls", func(n *NotifyResult) { n.RemindCalls = 1 }, false},
		{"reminder after signature", func(n *NotifyResult) { n.AfterDone = []string{"x"} }, false},
		{"two escalations", func(n *NotifyResult) { n.Escalations = append(n.Escalations, "f") }, false},
		{"no replacement call", func(n *NotifyResult) { n.ReplaceCalls = 0 }, false},
		{"a mail missing", func(n *NotifyResult) { n.Mails, n.MessageIDs = n.Mails[:2], 2 }, false},
		{"a mail twice", func(n *NotifyResult) { n.MessageIDs = 2 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := good()
			tc.change(n)
			err := n.Err()
			if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrNotify) {
				t.Errorf("Err() = %v, want ok %v (or ErrNotify)", err, tc.ok)
			}
			r := &Result{Notify: n}
			if got := r.Err(); (got == nil) != (err == nil) || err != nil && got.Error() != err.Error() {
				t.Errorf("Result.Err() = %v, want %v", r.Err(), err)
			}
		})
	}
}
