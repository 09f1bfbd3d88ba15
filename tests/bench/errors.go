package bench

import "errors"

// ErrBadSecret is returned by NewStandardWebhooksSigner and
// NewStandardWebhooksVerifier for a secret that is not whsec_<base64>.
var ErrBadSecret = errors.New("bench: bad standard webhooks secret")

// ErrNotReady is returned by StartServer when the server does not answer
// /readyz in time, or exits first.
var ErrNotReady = errors.New("bench: server not ready")

// ErrNoProcessStatus is returned by ReadMemory when /proc/<pid>/status
// lacks the VmHWM or VmRSS lines (not Linux, or the process is gone).
var ErrNoProcessStatus = errors.New("bench: no memory figures in /proc status")
