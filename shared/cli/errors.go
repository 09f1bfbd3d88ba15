package cli

import "errors"

// ErrUsage is returned (wrapped) for bad flags, stray arguments or invalid
// values. A request for help (-h, --help) returns flag.ErrHelp instead.
var ErrUsage = errors.New("cli: usage")
