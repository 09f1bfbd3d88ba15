// Package mesh starts countersign services in-process for tests, over the
// embedded NATS and real redis-server of package meshtest: the project's
// end-to-end tests use it, and so can integration tests of services that
// consume countersign's envelope subjects.
package mesh

import (
	"context"
	"crypto/tls"

	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/countersign/countersign/shared/cli"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/process"
)

// AdminToken is the admin bearer token of DefaultConfig.
const AdminToken = "meshtest-admin-token"

// The test secrets of DefaultConfig, exported so a test can sign its own
// deliveries (Deliver signs with them).
const (
	// Tenant is DefaultConfig's only tenant.
	Tenant = "acme"
	// StandardWebhooksSecret is the Standard Webhooks spec's test secret.
	StandardWebhooksSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	// DocuSignHMACKey is the Connect HMAC key.
	DocuSignHMACKey = "docusign-test-key"
	// DropboxSignAPIKey is the API key that signs event_hash.
	DropboxSignAPIKey = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
	// AdobeSignClientID is the accepted client id.
	AdobeSignClientID = "adobe-client-1"
	// ESignAnyWhereToken is the callback URL's token.
	ESignAnyWhereToken = "esaw-token-1"
)

// DefaultConfig is a config with one tenant, Tenant, and every provider
// kind, using the test secrets above.
const DefaultConfig = `
admin:
  tokens: ["` + AdminToken + `"]
ingress:
  persist_timeout: 2s
tenants:
  - id: ` + Tenant + `
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: standardwebhooks
        secrets: ["` + StandardWebhooksSecret + `"]
        tolerance: 5m
      - kind: docusign
        hmac_keys: ["` + DocuSignHMACKey + `"]
      - kind: dropboxsign
        api_key: "` + DropboxSignAPIKey + `"
      - kind: adobesign
        client_ids: ["` + AdobeSignClientID + `"]
      - kind: esignanywhere
        callback_token: "` + ESignAnyWhereToken + `"
`

// BuildFunc builds the services a mesh runs (for example the all-in-one's
// app.Build, or a single service's FromEnv).
type BuildFunc = process.BuildFunc

// Options configures Start.
type Options struct {
	// Config is the YAML config (default DefaultConfig).
	Config string
	// Build builds the services to run. Required.
	Build BuildFunc
	// KVLocks uses the embedded JetStream KV dedupe locks instead of
	// starting redis-server.
	KVLocks bool
	// Log receives the services' JSON logs (default: a file kept, and
	// its path printed, when the test fails; removed when it passes).
	Log io.Writer
	// LogLevel defaults to "warn".
	LogLevel string
}

// Mesh is a running set of countersign services over their own embedded
// NATS and redis-server.
type Mesh struct {
	NATS  *meshtest.NATS
	Redis *meshtest.Redis // nil with KVLocks
	File  *config.File
	// IngressURL and AdminURL are http://host:port of the listeners; they
	// stay the same across restarts.
	IngressURL, AdminURL string

	opts     Options
	settings cli.Settings
	mu       sync.Mutex
	env      *process.Env
	cancel   context.CancelFunc
	done     chan error
}

// Start starts NATS, Redis (unless KVLocks) and the services, waits until
// ingress answers /readyz, and registers teardown.
func Start(t meshtest.TB, opts Options) *Mesh {
	t.Helper()
	if opts.Build == nil {
		t.Fatalf("mesh: Options.Build is required")
	}
	if opts.Config == "" {
		opts.Config = DefaultConfig
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "warn"
	}
	if opts.Log == nil {
		opts.Log = keptLog(t)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "countersign.yaml")
	if err := os.WriteFile(path, []byte(opts.Config), 0o600); err != nil {
		t.Fatalf("mesh: write config: %v", err)
	}
	file, err := config.Load(path)
	if err != nil {
		t.Fatalf("mesh: %v", err)
	}
	m := &Mesh{opts: opts, File: file, NATS: meshtest.StartNATS(t)}
	m.settings = cli.Settings{
		ConfigPath: path, DataDir: dir, LogLevel: opts.LogLevel,
		IngressAddr: meshtest.FreeAddr(t), AdminAddr: meshtest.FreeAddr(t),
	}
	if !opts.KVLocks {
		m.Redis = meshtest.StartRedis(t)
		m.settings.RedisURL = m.Redis.URL
	}
	m.IngressURL = scheme(file.Ingress.TLS) + m.settings.IngressAddr
	m.AdminURL = scheme(file.Admin.TLS) + m.settings.AdminAddr
	m.StartServices(t)
	t.Cleanup(m.StopServices)
	return m
}

// StartServices builds and runs the services (again, after StopServices)
// and waits until ingress is ready.
func (m *Mesh) StartServices(t meshtest.TB) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.env != nil {
		t.Fatalf("mesh: services already running")
	}
	logger := slog.New(slog.NewJSONHandler(m.opts.Log, &slog.HandlerOptions{Level: parseLevel(m.opts.LogLevel)}))
	nc, closeNC, err := process.Connect(m.NATS.URL, "meshtest")
	if err != nil {
		t.Fatalf("mesh: %v", err)
	}
	env := &process.Env{Name: "meshtest", Settings: m.settings, File: m.File, Logger: logger, NC: nc}
	env.AddCloser(closeNC)
	ctx, cancel := context.WithCancel(context.Background())
	if err := process.Attach(ctx, env, process.Options{NeedLocker: true}); err != nil {
		cancel()
		env.Close()
		t.Fatalf("mesh: %v", err)
	}
	r, err := m.opts.Build(ctx, env)
	if err != nil {
		cancel()
		env.Close()
		t.Fatalf("mesh: build services: %v", err)
	}
	m.env, m.cancel, m.done = env, cancel, make(chan error, 1)
	go func() { m.done <- r.Run(ctx) }()
	meshtest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		select {
		case err := <-m.done:
			m.done <- err
			return fmt.Errorf("services stopped: %v", err)
		default:
		}
		// Ready, not merely alive: NATS connected, streams set up.
		resp, err := probe.Get(m.IngressURL + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
}

// StopServices stops the services gracefully (ingress stops accepting,
// workers finish in-flight messages) and closes their NATS connection.
// NATS and Redis keep running. Safe to call twice.
func (m *Mesh) StopServices() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.env == nil {
		return
	}
	m.cancel()
	<-m.done
	m.env.Close()
	m.env = nil
}

// Restart stops the services, restarts the NATS server on the same store,
// and starts the services again: everything durable must survive it. The
// test's own connection (m.NATS.Conn, m.NATS.JS) reconnects, so its
// subscriptions carry on.
func (m *Mesh) Restart(t meshtest.TB) {
	t.Helper()
	m.StopServices()
	m.NATS.Restart(t)
	m.StartServices(t)
}

// Env returns the running services' environment (nil when stopped).
func (m *Mesh) Env() *process.Env {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.env
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelWarn
	}
	return l
}

// scheme is the URL scheme of a listener with t.
func scheme(t *config.TLS) string {
	if t != nil {
		return "https://"
	}
	return "http://"
}

// probe checks readiness only: it does not verify the test's certificate.
var probe = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // readiness probe of a test server
}}

// keptLog is a log file for the services that outlives a failing test:
// removed after a pass, kept and printed after a failure, so the evidence
// of what went wrong is there to read.
func keptLog(t meshtest.TB) io.Writer {
	f, err := os.CreateTemp("", "countersign-mesh-*.log")
	if err != nil {
		return io.Discard
	}
	t.Cleanup(func() {
		_ = f.Close()
		if ft, ok := t.(interface{ Failed() bool }); ok && !ft.Failed() {
			_ = os.Remove(f.Name())
			return
		}
		t.Logf("mesh: service logs kept in %s", f.Name())
	})
	return f
}
