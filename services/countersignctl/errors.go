package countersignctl

import "errors"

// Sentinel errors; Run maps them to exit codes.
var (
	// ErrUsage wraps bad flags, missing arguments and unknown commands
	// (exit 2).
	ErrUsage = errors.New("usage")
	// ErrNotVerified wraps a ledger that does not verify here (exit 3).
	ErrNotVerified = errors.New("ledger does not verify")
	// ErrNotAvailable wraps an answer saying the server does not serve the
	// endpoint at all: that part of countersign is not deployed there, or
	// is older than this CLI (exit 1).
	ErrNotAvailable = errors.New("not available on this server")
)
