package sandbox

import (
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// Provider kinds the sandbox plays, spelled as in countersign's config file.
// They are repeated here rather than imported so that the sandbox stays an
// independent implementation.
const (
	KindStandardWebhooks = "standardwebhooks"
	KindDocuSign         = "docusign"
	KindDropboxSign      = "dropboxsign"
	KindAdobeSign        = "adobesign"
	KindESignAnyWhere    = "esignanywhere"
	// KindPandaDoc is PandaDoc, which countersign has no built-in adapter
	// for: it is configured as a generic HMAC provider (kind hmac) named
	// pandadoc, and the sandbox plays it under that name.
	KindPandaDoc = "pandadoc"
)

// Kinds lists every provider kind the sandbox plays.
var Kinds = []string{KindStandardWebhooks, KindDocuSign, KindDropboxSign, KindAdobeSign, KindESignAnyWhere, KindPandaDoc}

func validKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Envelope is one envelope at one provider: who must sign, what will
// happen to it (Script, in the order it happens at the provider) and the
// state countersign must end up with once every step has happened (Truth).
type Envelope struct {
	Provider   string
	Tenant     string
	ID         string
	Recipients []Recipient
	Script     []Step
	Truth      envelope.State
}

// Recipient is one signer of an envelope. ID is the provider's recipient id
// ("" for providers that name recipients by email only: Adobe Sign,
// eSignAnyWhere), matching countersign's RecipientRef.Key rule.
type Recipient struct {
	ID    string
	Email string
}

// Step is one happening at the provider. Type uses countersign's canonical
// event names; Recipient indexes Envelope.Recipients, or is -1 for
// envelope-level steps. At is the provider's time of the happening: unique
// per envelope and whole-second spaced, so providers with second
// resolution still tell steps apart.
type Step struct {
	Type      envelope.Type
	Recipient int
	At        time.Time
}

// Key returns the envelope's key in Truth: tenant/provider/id.
func (e *Envelope) Key() string { return e.Tenant + "/" + e.Provider + "/" + e.ID }

// recipient returns the recipient of step i, or nil for envelope steps.
func (e *Envelope) recipient(i int) *Recipient {
	r := e.Script[i].Recipient
	if r < 0 || r >= len(e.Recipients) {
		return nil
	}
	return &e.Recipients[r]
}

// Expected is what countersign must hold for one envelope: the provider's
// state after the steps that have happened so far.
type Expected struct {
	Tenant     string              `json:"tenant"`
	Provider   string              `json:"provider"`
	EnvelopeID string              `json:"envelope_id"`
	State      envelope.State      `json:"state"`
	Recipients []ExpectedRecipient `json:"recipients"`
	// Happened is how many Script steps have happened.
	Happened int `json:"happened"`
	// WebhookComplete is true when every happened step's callback was
	// acknowledged with a 2xx: countersign must then converge from
	// webhooks alone. When false (a callback was dropped or never
	// exists, as DocuSign's expiry), only reconciliation against the
	// provider's API can bring countersign to State.
	WebhookComplete bool `json:"webhook_complete"`
	// LastChange is the time of the last happened step.
	LastChange time.Time `json:"last_change"`
}

// ExpectedRecipient is one recipient's expected state. A recipient that no
// event has named stays "sent": countersign may not know it at all.
type ExpectedRecipient struct {
	ID    string                  `json:"id,omitempty"`
	Email string                  `json:"email"`
	State envelope.RecipientState `json:"state"`
	// DeliveryFailures counts bounces.
	DeliveryFailures int `json:"delivery_failures"`
}

// Fold returns the envelope's state after its first n steps, applying the
// same ranking rules as countersign's state machine: states never go
// down, the first terminal step wins, recipient steps always update the
// recipient.
func (e *Envelope) Fold(n int) (envelope.State, []ExpectedRecipient) {
	state := envelope.StateCreated
	rs := make([]ExpectedRecipient, len(e.Recipients))
	for i, r := range e.Recipients {
		rs[i] = ExpectedRecipient{ID: r.ID, Email: r.Email, State: envelope.RecipientSent}
	}
	raise := func(s envelope.State) {
		if !state.Terminal() && s.Rank() > state.Rank() {
			state = s
		}
	}
	raiseR := func(i int, s envelope.RecipientState) {
		if i >= 0 && i < len(rs) && s.Rank() > rs[i].State.Rank() {
			rs[i].State = s
		}
	}
	for _, st := range e.Script[:min(n, len(e.Script))] {
		switch st.Type {
		case envelope.TypeSent:
			raise(envelope.StateSent)
		case envelope.TypeDelivered:
			raise(envelope.StateDelivered)
			raiseR(st.Recipient, envelope.RecipientDelivered)
		case envelope.TypeRecipientSigned:
			raise(envelope.StatePartiallySigned)
			raiseR(st.Recipient, envelope.RecipientSigned)
		case envelope.TypeRecipientDeliveryFailed:
			if st.Recipient >= 0 && st.Recipient < len(rs) {
				rs[st.Recipient].DeliveryFailures++
			}
		case envelope.TypeRecipientDeclined:
			raiseR(st.Recipient, envelope.RecipientDeclined)
		case envelope.TypeDeclined:
			raise(envelope.StateDeclined)
			raiseR(st.Recipient, envelope.RecipientDeclined)
		case envelope.TypeCompleted, envelope.TypeVoided, envelope.TypeExpired:
			raise(envelope.State(st.Type))
		}
	}
	return state, rs
}
