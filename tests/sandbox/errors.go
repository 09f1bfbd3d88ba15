package sandbox

import "errors"

var (
	// ErrConfig is returned (wrapped) by New and Config.Validate when a
	// setting is missing or out of range.
	ErrConfig = errors.New("sandbox: invalid config")
	// ErrUnknownKind is returned (wrapped) when a provider kind is not one
	// of Kinds.
	ErrUnknownKind = errors.New("sandbox: unknown provider kind")
	// ErrSecret is returned (wrapped) when a signing secret cannot be used
	// (a Standard Webhooks secret that is not base64, for one).
	ErrSecret = errors.New("sandbox: unusable secret")
)
