package envelope

import (
	"fmt"
	"unicode/utf8"
)

// Limits on the fields that become subjects, KV keys, NATS headers and log
// lines. They are far above any provider's ids (GUIDs, 40-hex strings) and
// far below what breaks the transport: the envelope id's token goes into
// STATE and ENVELOPES subjects and the record's KV key, and a NATS server
// closes the connection of a client whose control line (the subject)
// exceeds 4 KiB. An event over a limit is refused at the edge with
// ErrFieldInvalid, never sent on.
const (
	// MaxIDBytes bounds envelope ids, recipient ids, event ids and
	// delivery ids: 256 bytes encode to a 342-character subject token.
	MaxIDBytes = 256
	// MaxEmailBytes bounds a recipient's email (RFC 5321 allows 254).
	MaxEmailBytes = 320
	// MaxProviderBytes bounds a provider kind.
	MaxProviderBytes = 64
)

// FieldError says which field of an event cannot be carried and why. Its
// message names the field and the reason — never the value, which comes
// from a request body and may be personal data or an attacker's payload.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "<field>: <reason>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes a FieldError match ErrFieldInvalid and ErrInvalidEvent.
func (e *FieldError) Unwrap() []error { return []error{ErrFieldInvalid, ErrInvalidEvent} }

// CheckField returns a *FieldError when value cannot be an id-like field
// named field: empty (when required), over max bytes, not valid UTF-8 (ids
// are compared as bytes but travel in JSON, which would rewrite invalid
// bytes to U+FFFD and merge two different ids), or holding a control
// character (which would split a header or a log line).
func CheckField(field, value string, max int, required bool) error {
	switch {
	case value == "":
		if required {
			return &FieldError{Field: field, Reason: "empty"}
		}
		return nil
	case len(value) > max:
		return &FieldError{Field: field, Reason: fmt.Sprintf("%d bytes, over the %d-byte limit", len(value), max)}
	case !utf8.ValidString(value):
		return &FieldError{Field: field, Reason: "not valid UTF-8"}
	}
	for _, r := range value {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return &FieldError{Field: field, Reason: "contains a control character"}
		}
	}
	return nil
}

// Check returns a *FieldError for the first field of ev that cannot be
// carried: tenant, provider, envelope id, type, recipient id and email,
// event id and delivery id. Apply runs it too; the verifier and the
// reconciler run it before publishing, so an event that would break a
// subject or a key never leaves the edge.
func (ev *Event) Check() error {
	if !ValidTenant(ev.Tenant) {
		return &FieldError{Field: "tenant", Reason: "not [a-z0-9_-]{1,64}"}
	}
	if !ev.Type.Valid() {
		return &FieldError{Field: "type", Reason: "not an event type"}
	}
	checks := []fieldCheck{
		{"id", ev.ID, MaxIDBytes, true},
		{"provider", ev.Provider, MaxProviderBytes, true},
		{"envelope_id", ev.EnvelopeID, MaxIDBytes, true},
		{"delivery_id", ev.DeliveryID, MaxIDBytes, false},
	}
	if ev.Recipient != nil {
		checks = append(checks,
			fieldCheck{"recipient.id", ev.Recipient.ID, MaxIDBytes, false},
			fieldCheck{"recipient.email", ev.Recipient.Email, MaxEmailBytes, false})
	}
	for _, c := range checks {
		if err := CheckField(c.field, c.value, c.max, c.required); err != nil {
			return err
		}
	}
	return nil
}

type fieldCheck struct {
	field, value string
	max          int
	required     bool
}
