package providers

import (
	"context"
	"errors"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// ErrNotFound is returned (wrapped) by provider API calls when the provider
// says the envelope does not exist (deleted, purged, never was). For a
// callback about it that is permanent: the DLQ, with that reason.
var ErrNotFound = errors.New("providers: envelope not found at the provider")

// Status is what a provider's API says about one envelope.
type Status struct {
	EnvelopeID string
	State      envelope.State
	// ChangedAt is the provider's time of the last status change (zero if
	// the API does not say).
	ChangedAt  time.Time
	Recipients []RecipientStatus
}

// RecipientStatus is one recipient's state at the provider.
type RecipientStatus struct {
	Recipient envelope.RecipientRef
	// State is "sent", "delivered", "signed" or "declined".
	State string
}

// StatusClient asks a provider's API for the truth about one envelope.
type StatusClient interface {
	// Status returns the envelope's state at the provider, or an error
	// wrapping ErrNotFound.
	Status(ctx context.Context, envelopeID string) (Status, error)
}

// ChangeLister is implemented by provider clients whose API lists the
// envelopes changed since a time (DocuSign listStatusChanges, Dropbox Sign
// list); the others are polled per envelope.
type ChangeLister interface {
	// ListChanged returns every envelope whose status changed at or after
	// since, following the provider's paging.
	ListChanged(ctx context.Context, since time.Time) ([]Status, error)
}
