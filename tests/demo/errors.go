package demo

import "errors"

var (
	// ErrNotFound is returned (wrapped) by the admin client when the admin
	// API answers 404: countersign does not know the envelope (yet).
	ErrNotFound = errors.New("demo: envelope not found")
	// ErrAdmin is returned (wrapped) when the admin API answers anything
	// but 200 or 404, or an answer cannot be decoded.
	ErrAdmin = errors.New("demo: admin API")
	// ErrMismatch is returned (wrapped) by Check and CheckLedger when
	// countersign's view differs from the truth or a ledger is unsound.
	ErrMismatch = errors.New("demo: mismatch")
	// ErrNotConverged is returned (wrapped) by Run when envelopes whose
	// webhooks were all acknowledged did not reach the truth in time.
	ErrNotConverged = errors.New("demo: envelopes did not converge")
	// ErrForgeryAccepted is returned (wrapped) by Run when a forged
	// delivery was answered anything but 401.
	ErrForgeryAccepted = errors.New("demo: forged delivery not rejected")
	// ErrUnsoundLedger is returned (wrapped) by Run when a ledger does
	// not verify or repeats an event.
	ErrUnsoundLedger = errors.New("demo: unsound ledger")
	// ErrNotify is returned (wrapped) by NotifyResult.Err when the
	// notification scenario did not play out as the playbook says.
	ErrNotify = errors.New("demo: notifications")
)
