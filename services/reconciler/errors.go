package reconciler

import "errors"

// Sentinel errors returned (wrapped) by this package; test them with
// errors.Is.
var (
	// ErrLeaseHeld is returned when another replica is polling the same
	// (tenant, provider) right now.
	ErrLeaseHeld = errors.New("reconciler: another replica holds the poll lease")
	// ErrUnknownTarget is returned by Reconcile for a (tenant, provider)
	// that is not configured, or has no api: to poll.
	ErrUnknownTarget = errors.New("reconciler: no reconciled provider of that tenant")
	// ErrConfig is returned by New for an unusable Config.
	ErrConfig = errors.New("reconciler: bad config")
)
