package hmac_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/providers/hmac"
)

func validSpec() hmac.Spec {
	return hmac.Spec{
		Name:      "pandadoc",
		Secrets:   []string{"k"},
		Signature: hmac.SignatureSpec{From: "query:signature"},
		Events:    hmac.EventsSpec{Type: "/event", EnvelopeID: "/data/id", OccurredAt: "/data/date_modified"},
		Types:     map[string]string{"document_state_changed:document.completed": "completed"},
	}
}

// TestCheck: each problem names its field, and New refuses the spec with
// the same problems.
func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*hmac.Spec)
		field string
		msg   string
	}{
		{"no name", func(s *hmac.Spec) { s.Name = "" }, "name", "required"},
		{"bad name", func(s *hmac.Spec) { s.Name = "Panda Doc" }, "name", "invalid name"},
		{"name is a kind", func(s *hmac.Spec) { s.Name = "docusign" }, "name", "is a provider kind"},
		{"name is hmac", func(s *hmac.Spec) { s.Name = "hmac" }, "name", "is a provider kind"},
		{"no secrets", func(s *hmac.Spec) { s.Secrets = nil }, "secrets", "at least one"},
		{"empty secret", func(s *hmac.Spec) { s.Secrets = []string{"k", ""} }, "secrets[1]", "empty secret"},
		{"bad base64 secret", func(s *hmac.Spec) { s.Secrets = []string{"base64:***"} }, "secrets[0]", "not standard base64"},
		{"empty base64 secret", func(s *hmac.Spec) { s.Secrets = []string{"base64:"} }, "secrets[0]", "empty key"},
		{"no signature", func(s *hmac.Spec) { s.Signature.From = "" }, "signature.from", "required"},
		{"bad location", func(s *hmac.Spec) { s.Signature.From = "body:sig" }, "signature.from", "want header:NAME or query:NAME"},
		{"bad header", func(s *hmac.Spec) { s.Signature.From = "header:X Sig" }, "signature.from", "not a header name"},
		{"unknown encoding", func(s *hmac.Spec) { s.Signature.Encoding = "base32" }, "signature.encoding", "unknown encoding \"base32\""},
		{"unknown algorithm", func(s *hmac.Spec) { s.Signature.Algorithm = "md5" }, "signature.algorithm", "unknown algorithm \"md5\""},
		{"bad template", func(s *hmac.Spec) { s.Signed = "{header:X-Ts}.{bdy}" }, "signed", "unknown placeholder {bdy}"},
		{"template without body", func(s *hmac.Spec) { s.Signed = "{header:X-Ts}" }, "signed", "{body} exactly once"},
		{"timestamp without from", func(s *hmac.Spec) { s.Timestamp = &hmac.TimestampSpec{} }, "timestamp.from", "required"},
		{"negative tolerance", func(s *hmac.Spec) { s.Timestamp = &hmac.TimestampSpec{From: "header:X-Ts", Tolerance: -time.Second} }, "timestamp.tolerance", "negative"},
		{"type not a pointer", func(s *hmac.Spec) { s.Events.Type = "event" }, "events.type", "not a JSON pointer"},
		{"bad escape", func(s *hmac.Spec) { s.Events.EnvelopeID = "/data/~2id" }, "events.envelope_id", "not a JSON pointer"},
		{"no occurred_at", func(s *hmac.Spec) { s.Events.OccurredAt = "" }, "events.occurred_at", "required"},
		{"bad path", func(s *hmac.Spec) { s.Events.Path = "events" }, "events.path", "not a JSON pointer"},
		{"bad status", func(s *hmac.Spec) { s.Events.Status = "status" }, "events.status", "not a JSON pointer"},
		{"bad email", func(s *hmac.Spec) { s.Events.RecipientEmail = "x" }, "events.recipient_email", "not a JSON pointer"},
		{"bad delivery id", func(s *hmac.Spec) { s.Events.DeliveryID = "x" }, "events.delivery_id", "not a JSON pointer"},
		{"bad signature param", func(s *hmac.Spec) { s.Signature.Param = "s 0" }, "signature.param", "cannot be a key"},
		{"bad timestamp param", func(s *hmac.Spec) { s.Timestamp = &hmac.TimestampSpec{From: "header:X-Sig", Param: "t="} }, "timestamp.param", "cannot be a key"},
		{"{timestamp} without a timestamp", func(s *hmac.Spec) { s.Signed = "{timestamp}.{body}" }, "signed", "needs timestamp.from"},
		{"no types", func(s *hmac.Spec) { s.Types = nil }, "types", "at least one"},
		{"unknown canonical type", func(s *hmac.Spec) { s.Types = map[string]string{"document.signed": "signed"} }, "types.document.signed", "unknown canonical type \"signed\""},
		{"corrected is not mappable", func(s *hmac.Spec) { s.Types = map[string]string{"x": "corrected"} }, "types.x", "unknown canonical type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.edit(&s)
			ps := s.Check()
			if len(ps) != 1 {
				t.Fatalf("Check = %v, want one problem at %s", ps, tt.field)
			}
			if ps[0].Field != tt.field || !strings.Contains(ps[0].Message, tt.msg) {
				t.Errorf("Check = %q, want %s: …%s…", ps[0], tt.field, tt.msg)
			}
			_, err := hmac.New(s)
			if !errors.Is(err, hmac.ErrBadSpec) || !strings.Contains(err.Error(), tt.field+": ") {
				t.Errorf("New = %v, want ErrBadSpec naming %s", err, tt.field)
			}
			for _, sec := range s.Secrets {
				if len(sec) > 8 && strings.Contains(err.Error(), sec) {
					t.Errorf("error %q reveals a secret", err)
				}
			}
		})
	}
	if ps := validSpec().Check(); len(ps) != 0 {
		t.Errorf("valid spec: %v", ps)
	}
}

func TestDecodeSecret(t *testing.T) {
	for in, want := range map[string]string{"literal": "literal", "base64:c2VjcmV0": "secret", "base64:c2VjcmV0IQ": "secret!", "base64:c2VjcmV0IQ==": "secret!", "BASE64:x": "BASE64:x"} {
		got, err := hmac.DecodeSecret(in)
		if err != nil || string(got) != want {
			t.Errorf("DecodeSecret(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
