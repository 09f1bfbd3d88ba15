package admin

import "errors"

// Sentinel errors returned (wrapped) by New.
var (
	// ErrNoTokens is returned by New when no non-empty bearer token is
	// configured: the admin API is never served without authentication.
	ErrNoTokens = errors.New("admin: no admin token configured (admin.tokens)")
	// ErrNoJetStream is returned by New when Config.JS is nil.
	ErrNoJetStream = errors.New("admin: Config.JS is required")
	// ErrNoAddr is returned by Run when Config.Addr is empty.
	ErrNoAddr = errors.New("admin: Config.Addr is required to Run")
)
