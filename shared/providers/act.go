package providers

import (
	"context"
	"errors"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// ErrCannotAct is returned (wrapped) by Remind and Replace when the
// provider's call cannot name the recipient (no email, no signer id).
var ErrCannotAct = errors.New("providers: the provider call cannot name that recipient")

// Reminder is implemented by API clients whose provider can remind a
// signer (PROVIDERS.md, "Acting at the provider"): the signer gets a fresh
// link from the provider itself.
type Reminder interface {
	// Remind asks the provider to remind recipient r of the envelope. It
	// returns an error wrapping ErrNotFound when the envelope is gone.
	Remind(ctx context.Context, envelopeID string, r envelope.RecipientRef) error
}

// Replacer is implemented by API clients whose provider can put another
// signer in place of one who has not acted.
type Replacer interface {
	// Replace gives recipient from's place to the signer with email to.
	Replace(ctx context.Context, envelopeID string, from envelope.RecipientRef, to string) error
}

// Expirer is implemented by API clients whose provider tells when an
// envelope expires.
type Expirer interface {
	// ExpiresAt returns the envelope's expiry, zero when it has none.
	ExpiresAt(ctx context.Context, envelopeID string) (time.Time, error)
}
