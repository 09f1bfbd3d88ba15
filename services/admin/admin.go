// Package admin is countersign's admin API: envelope state and verified
// ledgers for operators, behind bearer tokens, plus the health and metrics
// endpoints. Other services add their own admin routes (DLQ, replay, the
// ops console) through Config.Mount and Config.MountPublic.
package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/audit"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/httpjson"
	"github.com/countersign/countersign/shared/telemetry"
)

// ShutdownTimeout bounds how long Run waits for in-flight requests once
// its context is done.
const ShutdownTimeout = 10 * time.Second

// Config is what the admin service needs.
type Config struct {
	// Addr is the listen address (host:port) used by Run.
	Addr string
	// Tokens are accepted bearer tokens for every tenant with role
	// operate, named token#<index> (tests, programmatic use). Access, when
	// set, replaces them.
	Tokens []string
	// Access holds the scoped tokens (config admin.tokens); a config
	// reload swaps its set. At least one non-empty token is required.
	Access *access.Holder
	// JS reads the envelope records (KV) and the ledger (ENVELOPES).
	JS jetstream.JetStream
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registry receives the admin metrics and is served on /metrics
	// (default: a new telemetry registry).
	Registry *prometheus.Registry
	// Health serves /healthz and /readyz; the admin service adds its own
	// readiness check to it (default: a new one).
	Health *telemetry.Health
	// TLS, when set, serves HTTPS (admin.tls, with client_ca_file: mTLS;
	// see shared/tlsconf).
	TLS *tls.Config
	// Mount, if set, adds routes behind the bearer token (DLQ, replay).
	Mount func(mux *http.ServeMux)
	// MountPublic, if set, adds routes served without a token (the ops
	// console's static files, which then call the API with a token).
	MountPublic func(mux *http.ServeMux)
}

// Service is the admin HTTP API.
type Service struct {
	cfg     Config
	js      jetstream.JetStream
	log     *slog.Logger
	handler http.Handler
	metrics *metrics
}

// New builds the admin service. It returns ErrNoTokens without a usable
// token, ErrNoJetStream without Config.JS, and a wrapped registry error
// when the metrics cannot be registered.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.JS == nil {
		return nil, ErrNoJetStream
	}
	if cfg.Access == nil {
		cfg.Access = access.NewHolder(access.NewSet(plainTokens(cfg.Tokens)))
	}
	if cfg.Access.Load().Len() == 0 {
		return nil, ErrNoTokens
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = telemetry.NewRegistry()
	}
	if cfg.Health == nil {
		cfg.Health = telemetry.NewHealth()
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, js: cfg.JS, log: cfg.Logger, metrics: m}
	cfg.Health.AddReadiness("admin-ledger", s.ready)

	api := http.NewServeMux()
	api.HandleFunc("GET /v1/tenants/{tenant}/envelopes/{id}", s.getEnvelope)
	api.HandleFunc("GET /v1/tenants/{tenant}/envelopes/{id}/ledger", s.getLedger)
	// For the ops console: search, reconciliation status, the token's role.
	api.HandleFunc("GET /v1/tenants/{tenant}/envelopes", s.searchEnvelopes)
	api.HandleFunc("GET /v1/tenants/{tenant}/reconcile", s.reconcileStatus)
	api.HandleFunc("GET /v1/whoami", whoami)
	api.Handle("GET /v1/audit", audit.NewReader(cfg.JS).Handler())
	// Profiles for operators, behind an unrestricted admin token: they
	// show every tenant's data in flight.
	api.Handle("GET /debug/pprof/", allTenants(http.HandlerFunc(pprof.Index)))
	api.Handle("GET /debug/pprof/profile", allTenants(http.HandlerFunc(pprof.Profile)))
	api.Handle("GET /debug/pprof/trace", allTenants(http.HandlerFunc(pprof.Trace)))
	if cfg.Mount != nil {
		cfg.Mount(api)
	}

	root := http.NewServeMux()
	cfg.Health.Mount(root, cfg.Registry)
	// The console's page is public; everything it shows comes from the API
	// with the token the operator types in.
	root.Handle("GET /ui/", consoleHandler())
	if cfg.MountPublic != nil {
		cfg.MountPublic(root)
	}
	// Every API route: the token decides who (401), its role and tenants
	// what (403); every action, and every 403 of a known token, is
	// recorded in the audit trail.
	rec := audit.NewRecorder(cfg.JS, cfg.Logger)
	root.Handle("/", access.GuardWith(cfg.Access, api, rec.Middleware(httpjson.Unmatched(api)), rec.Denied))
	s.handler = m.instrument(canonicalPaths(root))
	return s, nil
}

// Handler returns the whole admin API (for httptest and for embedding).
func (s *Service) Handler() http.Handler { return s.handler }

// Run serves on Config.Addr until ctx is done, then shuts down gracefully,
// waiting up to ShutdownTimeout for in-flight requests. It returns nil
// after a clean shutdown, ErrNoAddr without an address, or the listen or
// serve error.
func (s *Service) Run(ctx context.Context) error {
	if s.cfg.Addr == "" {
		return ErrNoAddr
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("admin: listen %s: %w", s.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	s.log.InfoContext(ctx, "admin: listening", "addr", ln.Addr().String(), "tls", s.cfg.TLS != nil)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("admin: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("admin: shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: serve: %w", err)
	}
	return nil
}

// ready reports whether the ledger stream can be reached: without it the
// admin API can answer nothing useful.
func (s *Service) ready(ctx context.Context) error {
	if _, err := s.js.Stream(ctx, bus.StreamEnvelopes); err != nil {
		return fmt.Errorf("admin: stream %s: %w", bus.StreamEnvelopes, err)
	}
	return nil
}
