package envelope

import (
	"crypto/sha256"
	"encoding/hex"
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

// EventTypes lists the types an Event may carry (stale and conflict are
// produced by the state machine, never received).
var EventTypes = []Type{
	TypeSent, TypeDelivered, TypeRecipientSigned, TypeRecipientDeclined,
	TypeRecipientDeliveryFailed, TypeRecipientAuthFailed, TypeCompleted,
	TypeDeclined, TypeVoided, TypeExpired, TypeCorrected,
}

// Valid reports whether t is a type an Event may carry.
func (t Type) Valid() bool {
	for _, v := range EventTypes {
		if t == v {
			return true
		}
	}
	return false
}

// IsRecipient reports whether events of type t name a recipient.
func (t Type) IsRecipient() bool { return strings.HasPrefix(string(t), "recipient_") }

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
)

// RecipientRef names a recipient in an event: by the provider's id, by
// email, or both.
type RecipientRef struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
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
