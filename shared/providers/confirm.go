package providers

import "github.com/countersign/countersign/shared/envelope"

// Confirmer is implemented by adapters whose callbacks cannot be taken at
// their word for some events: the body is unsigned (Dropbox Sign, Adobe
// Sign, eSignAnyWhere) or the event ends the envelope, so a forged or
// misread one would be costly. The verifier asks the provider's API for the
// truth before publishing an event for which MustConfirm is true, when an
// API is configured.
type Confirmer interface {
	// MustConfirm reports whether ev, produced by this adapter's Parse,
	// should be confirmed against the provider's API.
	MustConfirm(ev envelope.Event) bool
}

// IsTerminal reports whether t ends an envelope (completed, declined,
// voided, expired): what signed providers ask to confirm.
func IsTerminal(t envelope.Type) bool {
	switch t {
	case envelope.TypeCompleted, envelope.TypeDeclined, envelope.TypeVoided, envelope.TypeExpired:
		return true
	}
	return false
}
