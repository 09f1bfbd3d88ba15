package clients

import "errors"

// ErrUnknownKind is returned (wrapped) by New for a provider kind that is
// not one of providers.Kinds.
var ErrUnknownKind = errors.New("clients: unknown provider kind")
