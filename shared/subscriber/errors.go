package subscriber

import "errors"

// Sentinel errors returned by Subscribe and Subscription.Err, and passed
// to the give-up hook.
var (
	// ErrNoDurable is returned by Subscribe when Options.Durable is empty:
	// a subscriber that should resume where it stopped needs a name.
	ErrNoDurable = errors.New("subscriber: Options.Durable is required")
	// ErrInvalidOption is returned by Subscribe for an option it cannot
	// turn into a consumer (a bad tenant, an unknown type, a negative
	// limit).
	ErrInvalidOption = errors.New("subscriber: invalid option")
	// ErrNoHandler is returned by Subscribe when the handler is nil.
	ErrNoHandler = errors.New("subscriber: handler is nil")
	// ErrUndecodable is what the give-up hook receives for a message that
	// is not a JSON ledger entry: no retry can make it one.
	ErrUndecodable = errors.New("subscriber: undecodable ledger entry")
	// ErrHandlerPanic wraps a handler's panic, which counts as a failure.
	ErrHandlerPanic = errors.New("subscriber: handler panicked")
)
