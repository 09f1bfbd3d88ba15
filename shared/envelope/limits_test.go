package envelope

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEventCheck(t *testing.T) {
	good := Event{ID: "0123456789abcdef", Tenant: "acme", Provider: "docusign", EnvelopeID: "env-1",
		Type: TypeRecipientSigned, Recipient: &RecipientRef{ID: "r1", Email: "a@example.com"}, OccurredAt: time.Now()}
	if err := good.Check(); err != nil {
		t.Fatalf("good event: %v", err)
	}
	cases := map[string]func(e *Event){
		"envelope_id":     func(e *Event) { e.EnvelopeID = strings.Repeat("x", MaxIDBytes+1) },
		"envelope_id ":    func(e *Event) { e.EnvelopeID = "" },
		"envelope_id  ":   func(e *Event) { e.EnvelopeID = "env-\xff" },
		"envelope_id   ":  func(e *Event) { e.EnvelopeID = "env\r\nx" },
		"recipient.id":    func(e *Event) { e.Recipient.ID = strings.Repeat("é", MaxIDBytes) },
		"recipient.email": func(e *Event) { e.Recipient.Email = "a\x00@example.com" },
		"tenant":          func(e *Event) { e.Tenant = "ACME" },
		"type":            func(e *Event) { e.Type = "bogus" },
		"delivery_id":     func(e *Event) { e.DeliveryID = strings.Repeat("d", MaxIDBytes+1) },
		"provider":        func(e *Event) { e.Provider = strings.Repeat("p", MaxProviderBytes+1) },
	}
	for field, mutate := range cases {
		ev := good
		r := *good.Recipient
		ev.Recipient = &r
		mutate(&ev)
		err := ev.Check()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != strings.TrimSpace(field) {
			t.Errorf("%s: Check = %v, want a FieldError for it", field, err)
			continue
		}
		if !errors.Is(err, ErrFieldInvalid) || !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: %v does not match the sentinels", field, err)
		}
		if strings.Contains(err.Error(), "xxx") || strings.Contains(err.Error(), "example.com") {
			t.Errorf("%s: message quotes the value: %v", field, err)
		}
	}
	// The longest id still fits a subject far below the control line.
	if n := len(Subject(strings.Repeat("t", 64), strings.Repeat("\x01", MaxIDBytes), TypeRecipientDeliveryFailed)); n > 1024 {
		t.Errorf("longest subject is %d bytes", n)
	}
}
