// Package telemetry gives every countersign service the same logs, metrics
// and health endpoints: slog JSON logs, a Prometheus registry with Go and
// process collectors, and /healthz, /readyz and /metrics handlers.
package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ParseLevel parses a log level: debug, info, warn or error (any case).
// Anything else returns an error wrapping ErrLevel.
func ParseLevel(level string) (slog.Level, error) {
	switch strings.ToLower(level) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	default:
		return 0, fmt.Errorf("%w %q (want debug, info, warn or error)", ErrLevel, level)
	}
}

// NewLogger returns a logger writing JSON lines to w at level (see
// ParseLevel). Services add tenant, envelope and event ids as attributes.
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	l, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}
