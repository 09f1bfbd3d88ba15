package dlq

import "errors"

// Sentinel errors returned (wrapped) by this package; test them with errors.Is.
var (
	// ErrInvalidConfig is returned by NewWatcher and NewStore when a
	// required connection is missing.
	ErrInvalidConfig = errors.New("dlq: invalid config")
	// ErrInvalidSelection is returned by Store.List, Store.Replay and
	// Store.ReplayRaw for a selection that cannot be served: a tenant,
	// service or provider that is not one subject token, an until before
	// since, ids mixed with filters, or a bulk replay without a start time.
	ErrInvalidSelection = errors.New("dlq: invalid selection")
)
