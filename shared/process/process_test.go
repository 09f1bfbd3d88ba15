package process

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/countersign/countersign/shared/cli"
)

const minimalConfig = "admin:\n  tokens: [\"t\"]\n"

// TestStartFailureClosesWhatItBuilt: a start-up that fails after the
// environment exists (here: no NATS at the URL) returns an error and
// releases what it built — it must not panic (the chaos suite caught a
// nil-pointer Close on this path).
func TestStartFailureClosesWhatItBuilt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(minimalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := cli.Settings{ConfigPath: path, DataDir: dir, LogLevel: "info", NATSURL: "nats://127.0.0.1:1"}
	env, err := Start(t.Context(), "test", s, Options{}, io.Discard)
	if err == nil || env != nil {
		t.Fatalf("Start = %v, %v; want nil and an error", env, err)
	}
	if !strings.Contains(err.Error(), "connect to NATS") {
		t.Fatalf("error %q does not say what failed", err)
	}
}

// TestStandaloneNeedsNATSURL: only the all-in-one may embed NATS.
func TestStandaloneNeedsNATSURL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(minimalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Start(t.Context(), "test", cli.Settings{ConfigPath: path, DataDir: dir, LogLevel: "info"}, Options{}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--nats-url") {
		t.Fatalf("err %v, want one naming --nats-url", err)
	}
}

// TestEmbeddedStartAndClose: the all-in-one path starts an embedded
// server with JetStream under the data dir, sets up the streams and the
// KV locks, and Close releases it all.
func TestEmbeddedStartAndClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(minimalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := cli.Settings{ConfigPath: path, DataDir: dir, LogLevel: "info", NATSListen: "127.0.0.1:-1"}
	env, err := Start(t.Context(), "test", s, Options{AllowEmbedded: true, NeedLocker: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if env.Embedded == nil || env.Locker == nil || env.JS == nil {
		t.Fatalf("env incomplete: embedded %v locker %v js %v", env.Embedded != nil, env.Locker != nil, env.JS != nil)
	}
	if _, err := os.Stat(filepath.Join(dir, "nats", "jetstream")); err != nil {
		t.Fatalf("no JetStream store under the data dir: %v", err)
	}
	env.Close()
	if env.Embedded.Running() {
		t.Fatal("embedded server still running after Close")
	}
}

// TestHealthServer: the extra listener serves health and metrics.
func TestHealthServer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(minimalConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	s := cli.Settings{ConfigPath: path, DataDir: dir, LogLevel: "info", NATSListen: "127.0.0.1:-1", MetricsAddr: "127.0.0.1:0"}
	env, err := Start(t.Context(), "test", s, Options{AllowEmbedded: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	h := env.healthServer()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": `"nats":"ok"`, "/metrics": "countersign_stream_messages"} {
		w := httptest.NewRecorder()
		h.handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
			t.Fatalf("GET %s: %d %q, want 200 with %q", path, w.Code, w.Body.String(), want)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := h.Run(ctx); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}
