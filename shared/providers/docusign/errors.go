package docusign

import "errors"

// ErrNoKey is returned by New when the provider has no usable Connect HMAC
// key (none configured, or an empty one).
var ErrNoKey = errors.New("docusign: no HMAC key configured")
