package adobesign

import "errors"

// ErrNoClientID is returned by New when the provider has no usable client
// id (none configured, or an empty one).
var ErrNoClientID = errors.New("adobesign: no client id configured")
