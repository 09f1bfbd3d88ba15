package providers

import "errors"

var (
	// ErrUnauthenticated is returned (wrapped) by Authenticate when a
	// callback's signature, timestamp, client id or token does not check out.
	ErrUnauthenticated = errors.New("providers: unauthenticated")
	// ErrMalformed is returned (wrapped) by Parse when an authenticated
	// callback cannot be understood. It is a permanent error: the raw
	// callback goes to the DLQ.
	ErrMalformed = errors.New("providers: malformed callback")
)
