package dmsexport

import "errors"

var (
	// ErrConfig is returned (wrapped) by New for an incomplete Config.
	ErrConfig = errors.New("dmsexport: invalid config")
	// ErrVerify is returned (wrapped) when what the target holds after a
	// write is not what was written (size or SHA-256).
	ErrVerify = errors.New("dmsexport: stored artefact does not verify")
	// ErrTruncated is returned (wrapped) when a download ends before the
	// length the provider announced.
	ErrTruncated = errors.New("dmsexport: download shorter than announced")
	// ErrLedger is returned (wrapped) when the envelope's ledger does not
	// verify or does not reach the entry that triggered the export.
	ErrLedger = errors.New("dmsexport: ledger snapshot")
)
