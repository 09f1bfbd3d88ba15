package standardwebhooks

import "errors"

var (
	// ErrNoSecret is returned by New when the provider has no secret.
	ErrNoSecret = errors.New("standardwebhooks: no secret configured")
	// ErrBadSecret is returned (wrapped, naming the secret's position and
	// the problem but never its value) by New and Sign when a secret is not
	// "whsec_" followed by standard base64.
	ErrBadSecret = errors.New("standardwebhooks: bad secret")
	// ErrBadTolerance is returned by New for a negative tolerance.
	ErrBadTolerance = errors.New("standardwebhooks: negative tolerance")
)
