package envelope

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Type is the kind of a canonical envelope event, and of a ledger entry.
type Type string

// Event and ledger types, as published on envelope.<tenant>.<envelope>.<type>.
const (
	TypeSent                    Type = "sent"
	TypeDelivered               Type = "delivered"
	TypeRecipientSigned         Type = "recipient_signed"
	TypeRecipientDeclined       Type = "recipient_declined"
	TypeRecipientDeliveryFailed Type = "recipient_delivery_failed"
	TypeRecipientAuthFailed     Type = "recipient_auth_failed"
	TypeCompleted               Type = "completed"
	TypeDeclined                Type = "declined"
	TypeVoided                  Type = "voided"
	TypeExpired                 Type = "expired"
	// TypeCorrected sets the envelope to Event.State: the provider's answer
	// to a conflict, which wins over whatever stood locally.
	TypeCorrected Type = "corrected"
	// TypeStale and TypeConflict only appear in the ledger (audit): an event
	// that would have lowered a rank, and a second, different terminal event.
	TypeStale    Type = "stale"
	TypeConflict Type = "conflict"
)

// Audit types: what countersign itself did about an envelope (the notifier,
// the exporter). They are applied exactly once like every event, through
// STATE and statesync (the ledger's one writer), but never change the
// envelope's state or its recipients; Event.Detail says what was done.
const (
	// TypeReminderSent: a reminder went to a recipient (detail.via:
	// "provider" or "channels").
	TypeReminderSent Type = "reminder_sent"
	// TypeEscalated: a recipient was escalated (detail.reason).
	TypeEscalated Type = "escalated"
	// TypeRecipientReplaced: a recipient was replaced at the provider
	// (detail.from, detail.to).
	TypeRecipientReplaced Type = "recipient_replaced"
	// TypeExpiryWarning: the envelope nears the provider's expiry.
	TypeExpiryWarning Type = "expiry_warning"
	// TypeExported: the envelope's artefacts are stored and verified
	// (detail.location, detail.manifest_sha256).
	TypeExported Type = "exported"
	// TypePurged: the documents were deleted at the provider after export.
	TypePurged Type = "purged"
)

// AuditTypes lists the audit types (see TypeReminderSent).
var AuditTypes = []Type{
	TypeReminderSent, TypeEscalated, TypeRecipientReplaced, TypeExpiryWarning,
	TypeExported, TypePurged,
}

// IsAudit reports whether t is an audit type: recorded, never a change of
// state.
func (t Type) IsAudit() bool {
	for _, v := range AuditTypes {
		if t == v {
			return true
		}
	}
	return false
}

// EventTypes lists the types an Event may carry (stale and conflict are
// produced by the state machine, never received).
var EventTypes = []Type{
	TypeSent, TypeDelivered, TypeRecipientSigned, TypeRecipientDeclined,
	TypeRecipientDeliveryFailed, TypeRecipientAuthFailed, TypeCompleted,
	TypeDeclined, TypeVoided, TypeExpired, TypeCorrected,
}

// Valid reports whether t is a type an Event may carry: a state event or an
// audit type.
func (t Type) Valid() bool {
	for _, v := range EventTypes {
		if t == v {
			return true
		}
	}
	return t.IsAudit()
}

// IsLedger reports whether t may appear in the ledger: any event type, and
// the machine's own stale and conflict.
func (t Type) IsLedger() bool { return t.Valid() || t == TypeStale || t == TypeConflict }

// IsRecipient reports whether events of type t are about a recipient's own
// state (recipient_signed, …). recipient_replaced is an audit type: it names
// a recipient but changes nothing.
func (t Type) IsRecipient() bool {
	return strings.HasPrefix(string(t), "recipient_") && !t.IsAudit()
}

// State is an envelope's state.
type State string

// Envelope states; the last four are terminal.
const (
	StateCreated         State = "created"
	StateSent            State = "sent"
	StateDelivered       State = "delivered"
	StatePartiallySigned State = "partially_signed"
	StateCompleted       State = "completed"
	StateDeclined        State = "declined"
	StateVoided          State = "voided"
	StateExpired         State = "expired"
)

// Source says where an event came from.
type Source string

// Event sources, as in the ledger's "source" field.
const (
	SourceWebhook     Source = "webhook"
	SourcePoll        Source = "poll"
	SourceReplay      Source = "replay"
	SourceProviderAPI Source = "provider_api"
	// SourceNotifier and SourceExport mark audit events: what the notifier
	// and the DMS exporter did.
	SourceNotifier Source = "notifier"
	SourceExport   Source = "dmsexport"
)

// RecipientRef names a recipient in an event: by the provider's id, by
// email, or both.
type RecipientRef struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
}

// Same is the one rule of recipient identity, used by the state machine,
// the verifier's confirmation and the adapters alike: two references name
// one recipient when they carry the same provider id, or — when either
// lacks an id — the same email, compared case-insensitively.
func (r RecipientRef) Same(o RecipientRef) bool {
	if r.ID != "" && o.ID != "" {
		return r.ID == o.ID
	}
	return r.Email != "" && strings.EqualFold(r.Email, o.Email)
}

// Key is the recipient's identity inside an envelope record: the provider's
// id where there is one, else the lower-cased email.
func (r RecipientRef) Key() string {
	if r.ID != "" {
		return r.ID
	}
	return strings.ToLower(r.Email)
}

// Event is one canonical envelope event: what a provider callback, a poll
// or a confirmation says happened. Its ID is semantic, so two deliveries of
// the same happening (retries, a poll and a late webhook) share it.
type Event struct {
	ID         string        `json:"id"`
	Tenant     string        `json:"tenant"`
	Provider   string        `json:"provider"`
	EnvelopeID string        `json:"envelope_id"`
	Type       Type          `json:"type"`
	Recipient  *RecipientRef `json:"recipient,omitempty"`
	OccurredAt time.Time     `json:"occurred_at"`
	Source     Source        `json:"source"`
	// State is the provider's envelope state for TypeCorrected events.
	State State `json:"state,omitempty"`
	// DeliveryID is the provider's delivery id (informational, not identity).
	DeliveryID string `json:"delivery_id,omitempty"`
	// Detail is a JSON object carried into the ledger entry of an audit
	// event (what was done: via, reason, location, …). Build it with Detail.
	Detail json.RawMessage `json:"detail,omitempty"`
}

// Detail renders a detail object. Maps marshal with sorted keys, so the
// same fields always give the same bytes; string values cannot fail to
// marshal.
func Detail(fields map[string]string) json.RawMessage {
	if len(fields) == 0 {
		return nil
	}
	b, _ := json.Marshal(fields)
	return b
}

// EventID returns the semantic id of an event: a hash of provider, tenant,
// envelope, type, recipient and the provider's timestamp. Delivery ids and
// retry counters are deliberately left out: providers change them between
// retries of the same event.
func EventID(tenant, provider, envelopeID string, t Type, r *RecipientRef, occurredAt time.Time) string {
	h := sha256.New()
	rk := ""
	if r != nil {
		rk = r.Key()
	}
	for _, part := range []string{tenant, provider, envelopeID, string(t), rk, occurredAt.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
