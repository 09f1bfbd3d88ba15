package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Notification event types, as in the webhook body's "type".
const (
	TypeReminderDue    = "countersign.reminder_due"
	TypeEscalation     = "countersign.escalation"
	TypeExpiryWarning  = "countersign.expiry_warning"
	TypeExportFailed   = "countersign.export_failed"
	TypePlaybookPaused = "countersign.playbook_paused"
)

// Notification is one message to a tenant's channels. Its JSON form is
// the webhook body: {"type","timestamp","data":{…}}.
type Notification struct {
	// ID is stable across retries: the webhook-id and the email
	// Message-ID. Build it with ID.
	ID        string    `json:"-"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is what a notification is about.
type Data struct {
	Tenant     string     `json:"tenant"`
	Provider   string     `json:"provider,omitempty"`
	EnvelopeID string     `json:"envelope_id,omitempty"`
	Recipient  *Recipient `json:"recipient,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	// Reminder is the reminder's number (1 for the first).
	Reminder int `json:"reminder,omitempty"`
}

// Recipient names the recipient a notification is about.
type Recipient struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// ID returns a stable notification id from the parts that make a
// notification what it is (tenant, envelope, recipient, type, number…):
// "msg_" and 32 hex digits, a valid webhook-id and Message-ID local part.
func ID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "msg_" + hex.EncodeToString(h[:16])
}

// Event returns the type without its "countersign." prefix, as channels'
// events filters name it.
func (n Notification) Event() string { return strings.TrimPrefix(n.Type, "countersign.") }
