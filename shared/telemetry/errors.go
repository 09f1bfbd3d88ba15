package telemetry

import "errors"

// ErrLevel is returned (wrapped) for a log level that is not debug, info,
// warn or error.
var ErrLevel = errors.New("telemetry: unknown log level")
