package dedupe

import "errors"

// Sentinel errors returned (wrapped) by this package; test them with errors.Is.
var (
	// ErrHeld is returned by Acquire when another holder has the key.
	ErrHeld = errors.New("dedupe: lock held")
	// ErrInvalidTTL is returned by Acquire for a ttl below a millisecond,
	// and by the KV locker for a ttl longer than its bucket's MaxAge.
	ErrInvalidTTL = errors.New("dedupe: invalid lock ttl")
)
