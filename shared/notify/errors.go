package notify

import "errors"

var (
	// ErrChannel is returned (wrapped) by Deliver when a channel refused
	// or failed a notification (non-2xx, SMTP error); the job is retried.
	ErrChannel = errors.New("notify: channel failed")
	// ErrNoChannel is returned (wrapped) by Deliver for a job whose channel
	// is no longer configured: permanent, the job goes to the DLQ.
	ErrNoChannel = errors.New("notify: channel not configured")
	// ErrBadJob is returned (wrapped) for a NOTIFY job that cannot be decoded.
	ErrBadJob = errors.New("notify: malformed job")
)
