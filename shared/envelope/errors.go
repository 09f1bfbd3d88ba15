package envelope

import "errors"

// Sentinel errors returned (wrapped) by this package; test them with errors.Is.
var (
	// ErrInvalidEvent is returned by Apply for an event the state machine
	// cannot accept: unknown type, missing ids, an invalid tenant, a
	// recipient event without a recipient, a correction to an unknown state,
	// or an event for another envelope than the record's. Such an event is
	// permanently bad: retrying it cannot help.
	ErrInvalidEvent = errors.New("envelope: invalid event")
	// ErrChainBroken is returned by VerifyChain and VerifyEntries when a
	// ledger is not an intact hash chain; the message names the seq and what
	// broke.
	ErrChainBroken = errors.New("envelope: ledger chain broken")
	// ErrInvalidToken is returned by ParseToken and ParseSubject for a
	// subject token that no envelope id encodes to.
	ErrInvalidToken = errors.New("envelope: invalid envelope token")
	// ErrInvalidSubject is returned by ParseSubject for a subject outside
	// the envelope.<tenant>.<envelope>.<type> scheme.
	ErrInvalidSubject = errors.New("envelope: invalid envelope subject")
)

// ErrFieldInvalid is matched by a *FieldError: an event field that cannot
// become a subject, key, header or log line (too long, not UTF-8, control
// characters). Retrying cannot help.
var ErrFieldInvalid = errors.New("envelope: field cannot be carried")
