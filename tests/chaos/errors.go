package chaos

import "errors"

// Sentinel errors of the chaos suite.
var (
	// ErrRunning is returned by Proc.Start for a process that already runs.
	ErrRunning = errors.New("chaos: process already running")
	// ErrBuild is returned when the binaries under test do not build.
	ErrBuild = errors.New("chaos: build failed")
	// ErrTimeout is returned when a wait passes its deadline; it wraps the
	// condition's last error.
	ErrTimeout = errors.New("chaos: condition not met before the deadline")
)
