package providers

import (
	"reflect"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

func TestEventsFromStatus(t *testing.T) {
	changed := time.Date(2026, 1, 13, 7, 9, 58, 958468700, time.UTC)
	fallback := time.Date(2026, 1, 13, 8, 0, 0, 0, time.UTC)
	ann := envelope.RecipientRef{ID: "r1", Email: "ann@example.com"}
	bob := envelope.RecipientRef{Email: "bob@example.com"}
	type want struct {
		typ       envelope.Type
		recipient *envelope.RecipientRef
	}
	tests := []struct {
		name   string
		st     Status
		wantAt time.Time
		want   []want
	}{
		{
			name:   "sent, nobody signed",
			st:     Status{State: envelope.StateSent, ChangedAt: changed, Recipients: []RecipientStatus{{ann, RecipientSent}}},
			wantAt: changed,
			want:   []want{{envelope.TypeSent, nil}, {envelope.TypeSent, &ann}},
		},
		{
			name: "delivered comes before recipient events; a delivered recipient is named",
			st: Status{State: envelope.StateDelivered, ChangedAt: changed, Recipients: []RecipientStatus{
				{ann, RecipientSigned}, {bob, RecipientDelivered},
			}},
			wantAt: changed,
			want:   []want{{envelope.TypeDelivered, nil}, {envelope.TypeRecipientSigned, &ann}, {envelope.TypeDelivered, &bob}},
		},
		{
			name:   "partially signed gives recipient events only, the waiting signer registered",
			st:     Status{State: envelope.StatePartiallySigned, ChangedAt: changed, Recipients: []RecipientStatus{{ann, RecipientSigned}, {bob, RecipientSent}}},
			wantAt: changed,
			want:   []want{{envelope.TypeRecipientSigned, &ann}, {envelope.TypeSent, &bob}},
		},
		{
			name:   "completed comes after its signers",
			st:     Status{State: envelope.StateCompleted, ChangedAt: changed, Recipients: []RecipientStatus{{ann, RecipientSigned}, {bob, RecipientSigned}}},
			wantAt: changed,
			want:   []want{{envelope.TypeRecipientSigned, &ann}, {envelope.TypeRecipientSigned, &bob}, {envelope.TypeCompleted, nil}},
		},
		{
			name:   "declined with the decliner",
			st:     Status{State: envelope.StateDeclined, ChangedAt: changed, Recipients: []RecipientStatus{{ann, RecipientSigned}, {bob, RecipientDeclined}}},
			wantAt: changed,
			want:   []want{{envelope.TypeRecipientSigned, &ann}, {envelope.TypeRecipientDeclined, &bob}, {envelope.TypeDeclined, nil}},
		},
		{
			name:   "voided without a time uses the fallback",
			st:     Status{State: envelope.StateVoided},
			wantAt: fallback,
			want:   []want{{envelope.TypeVoided, nil}},
		},
		{
			name:   "expired",
			st:     Status{State: envelope.StateExpired, ChangedAt: changed},
			wantAt: changed,
			want:   []want{{envelope.TypeExpired, nil}},
		},
		{
			name:   "created gives nothing",
			st:     Status{State: envelope.StateCreated, ChangedAt: changed},
			wantAt: changed,
		},
		{
			name:   "a recipient naming nobody is skipped",
			st:     Status{State: envelope.StateCompleted, ChangedAt: changed, Recipients: []RecipientStatus{{envelope.RecipientRef{}, RecipientSigned}}},
			wantAt: changed,
			want:   []want{{envelope.TypeCompleted, nil}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.st.EnvelopeID = "env-1"
			got := EventsFromStatus("acme", KindDocuSign, tt.st, envelope.SourceProviderAPI, fallback)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				ev := got[i]
				wantID := envelope.EventID("acme", KindDocuSign, "env-1", w.typ, w.recipient, tt.wantAt)
				if ev.Type != w.typ || !reflect.DeepEqual(ev.Recipient, w.recipient) || !ev.OccurredAt.Equal(tt.wantAt) ||
					ev.ID != wantID || ev.Source != envelope.SourceProviderAPI || ev.Tenant != "acme" ||
					ev.Provider != KindDocuSign || ev.EnvelopeID != "env-1" {
					t.Errorf("event %d = %+v, want type %s recipient %v at %s id %s", i, ev, w.typ, w.recipient, tt.wantAt, wantID)
				}
			}
			again := EventsFromStatus("acme", KindDocuSign, tt.st, envelope.SourcePoll, fallback)
			for i := range again {
				if again[i].ID != got[i].ID {
					t.Errorf("event %d: a second look at the same status gave id %s, want %s", i, again[i].ID, got[i].ID)
				}
			}
		})
	}
}

func TestPathSafe(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"4f2e1c9a-0b7d-4c3e-9a51-2d6f8e0b1a77", true},
		{"CBJCHBCAABAA5", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{`a\b`, false},
	}
	for _, tt := range tests {
		if got := PathSafe(tt.id); got != tt.want {
			t.Errorf("PathSafe(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
