package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNotifySettings(t *testing.T) {
	const head = "admin: {tokens: [t]}\ntenants:\n  - id: acme\n    providers:\n      - kind: adobesign\n        client_ids: [c]\n    notify:\n"
	const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	tests := []struct {
		name, yaml string
		check      func(t *testing.T, n *Notify)
		is         error
		msg        string
	}{
		{name: "contract example", yaml: head + `      reminders: [24h, 72h, 168h]
      escalate_after_failures: 2
      escalate_unsigned_after: 240h
      expiry_warning: 48h
      alternates:
        "cfo@acme.example": "deputy-cfo@acme.example"
      channels:
        - kind: webhook
          url: "https://ops.acme.example/hooks/countersign"
          secret: "` + whsec + `"
        - kind: email
          smtp: "smtp.acme.example:587"
          from: "countersign@acme.example"
          to: ["esign-ops@acme.example"]
          events: [escalation]
`, check: func(t *testing.T, n *Notify) {
			if len(n.Reminders) != 3 || n.Reminders[2].D() != 168*time.Hour || n.EscalateUnsignedAfter.D() != 240*time.Hour {
				t.Fatalf("durations = %+v", n)
			}
			if n.Alternates["cfo@acme.example"] != "deputy-cfo@acme.example" || len(n.Channels) != 2 {
				t.Fatalf("alternates/channels = %+v", n)
			}
			if n.Channels[1].Wants("countersign.reminder_due") || !n.Channels[1].Wants("countersign.escalation") || !n.Channels[0].Wants("reminder_due") {
				t.Fatal("events filter")
			}
			if n.Pause.Rate != DefaultPauseRate || n.Pause.Window != DefaultPauseWindow {
				t.Fatalf("pause defaults = %+v", n.Pause)
			}
		}},
		{name: "days and seconds", yaml: head + "      reminders: [3s, 2d]\n", check: func(t *testing.T, n *Notify) {
			if n.Reminders[0].D() != 3*time.Second || n.Reminders[1].D() != 48*time.Hour || n.EscalateAfterFailures != DefaultEscalateAfterFailures {
				t.Fatalf("got %+v", n)
			}
		}},
		{name: "bad reminder", yaml: head + "      reminders: [24h, soon]\n", is: ErrInvalid, msg: "tenants[0].notify.reminders[1]:"},
		{name: "reminders out of order", yaml: head + "      reminders: [72h, 24h]\n", is: ErrInvalid, msg: "tenants[0].notify.reminders[1]: must come after reminders[0]"},
		{name: "negative escalation", yaml: head + "      escalate_unsigned_after: -1h\n", is: ErrInvalid, msg: "tenants[0].notify.escalate_unsigned_after: must not be negative"},
		{name: "unknown field", yaml: head + "      remind: [1h]\n", is: ErrUnknownField, msg: "tenants[0].notify.remind: unknown field"},
		{name: "bad alternate", yaml: head + "      alternates: {\"cfo@acme.example\": nobody}\n", is: ErrInvalid, msg: "tenants[0].notify.alternates.cfo@acme.example: value is not an email address"},
		{name: "unknown channel", yaml: head + "      channels: [{kind: sms}]\n", is: ErrInvalid, msg: "tenants[0].notify.channels[0].kind: unknown channel kind"},
		{name: "webhook without secret", yaml: head + "      channels: [{kind: webhook, url: 'https://x.example/h'}]\n", is: ErrInvalid, msg: "tenants[0].notify.channels[0].secret: want a whsec_ secret"},
		{name: "email field on webhook", yaml: head + "      channels: [{kind: webhook, url: 'https://x.example/h', secret: " + whsec + ", smtp: 'a:25'}]\n", is: ErrInvalid, msg: "tenants[0].notify.channels[0].smtp: does not apply to kind webhook"},
		{name: "email without port", yaml: head + "      channels: [{kind: email, smtp: mail.example, from: a@x.example, to: [b@x.example]}]\n", is: ErrInvalid, msg: "tenants[0].notify.channels[0].smtp: want host:port"},
		{name: "bad email to", yaml: head + "      channels: [{kind: email, smtp: 'mail.example:25', from: a@x.example, to: [b]}]\n", is: ErrInvalid, msg: "tenants[0].notify.channels[0].to[0]: want an email address"},
		{name: "unknown event", yaml: head + "      channels: [{kind: email, smtp: 'mail.example:25', from: a@x.example, to: [b@x.example], events: [party]}]\n", is: ErrInvalid, msg: "tenants[0].notify.channels[0].events[0]: unknown event"},
		{name: "pause rate", yaml: head + "      pause: {rate: 2}\n", is: ErrInvalid, msg: "tenants[0].notify.pause.rate: must be between 0 and 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c.yaml", []byte(tt.yaml))
			if tt.is != nil {
				if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("err = %v, want %v containing %q", err, tt.is, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, f.Tenants[0].Notify)
		})
	}
}
