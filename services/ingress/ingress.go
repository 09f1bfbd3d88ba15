// Package ingress is countersign's HTTP receiver: it authenticates provider
// callbacks, stores them raw on the RAW stream and answers 2xx only once
// JetStream has acknowledged the write.
package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/registry"
	"github.com/countersign/countersign/shared/telemetry"
)

// Config is what the ingress service needs.
type Config struct {
	// Addr is the listen address (host:port).
	Addr string
	// File holds tenants, providers and ingress limits.
	File *config.File
	// JS is where raw callbacks are persisted.
	JS       jetstream.JetStream
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Health, when set, is mounted on the ingress listener (/healthz,
	// /readyz, /metrics) as well.
	Health   *telemetry.Health
	Gatherer *prometheus.Registry
	// TLS, when set, serves HTTPS (ingress.tls; see shared/tlsconf).
	TLS *tls.Config
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Raw stores callbacks (default: RAW over JS); tests set a fake.
	Raw RawStore
}

// Service is a running ingress.
type Service struct {
	cfg Config
	// tenants is swapped whole by a config reload (reload.go).
	tenants atomic.Pointer[map[string]*tenant]
	metrics *metrics
	handler http.Handler
	raw     RawStore
	store   storeHealth
}

// New builds the ingress from cfg: one adapter per configured provider of
// every tenant, one rate limiter per tenant.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.File == nil || (cfg.JS == nil && cfg.Raw == nil) {
		return nil, errors.New("ingress: Config.File and Config.JS (or Config.Raw) are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Service{cfg: cfg, raw: cfg.Raw}
	if s.raw == nil {
		s.raw = &streamRaw{js: cfg.JS}
	}
	tenants, err := buildTenants(cfg.File, nil)
	if err != nil {
		return nil, err
	}
	s.tenants.Store(&tenants)
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("ingress: metrics: %w", err)
	}
	s.metrics = m
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/webhooks/{tenant}/{provider}", s.receive)
	mux.HandleFunc("GET /v1/webhooks/{tenant}/{provider}", s.receive)
	if cfg.Health != nil {
		// A store that refuses writes is not ready, whatever the
		// connection says.
		cfg.Health.AddReadiness("store-writes", s.store.check(cfg.JS))
		cfg.Health.Mount(mux, cfg.Gatherer)
	}
	s.handler = s.canonicalPaths(mux)
	return s, nil
}

// canonicalPaths answers 404 to paths ServeMux would otherwise redirect
// (".." and "//" segments): a provider never follows a 307 for a POST we
// have not stored, and CONTRACT.md has no redirect answer.
func (s *Service) canonicalPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "" || path.Clean(p) != p {
			s.fail(w, "_unknown", "_unknown", http.StatusNotFound, "not found")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Handler returns the HTTP handler (for tests and embedding).
func (s *Service) Handler() http.Handler { return s.handler }

// Run serves until ctx is done, then stops accepting and waits for
// in-flight requests (each of which either got its JetStream ack or will
// answer 503).
func (s *Service) Run(ctx context.Context) error {
	lim := s.cfg.File.Ingress
	srv := &http.Server{
		Addr:              s.cfg.Addr,
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       lim.ReadTimeout.D(),
		WriteTimeout:      lim.WriteTimeout.D(),
		IdleTimeout:       lim.IdleTimeout.D(),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
		TLSConfig:         s.cfg.TLS,
	}
	return serve(ctx, srv, s.cfg.Logger)
}

func serve(ctx context.Context, srv *http.Server, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ListenAndServeTLS("", "") // certificates from TLSConfig (tlsconf)
			return
		}
		errc <- srv.ListenAndServe()
	}()
	log.Info("listening", "addr", srv.Addr)
	select {
	case err := <-errc:
		return fmt.Errorf("ingress: listen %s: %w", srv.Addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("ingress: shutdown: %w", err)
	}
	return nil
}

// tenant is one tenant's adapters and rate limiter.
type tenant struct {
	id        string
	providers map[string]providers.Adapter
	limiter   *limiter
	rate      config.RateLimit
}

func newTenant(t *config.Tenant) (*tenant, error) {
	out := &tenant{id: t.ID, providers: map[string]providers.Adapter{}, limiter: newLimiter(t.RateLimit), rate: t.RateLimit}
	for i := range t.Providers {
		a, err := registry.New(t.Providers[i])
		if err != nil {
			return nil, fmt.Errorf("tenant %s provider %s: %w", t.ID, t.Providers[i].Kind, err)
		}
		out.providers[a.Kind()] = a
	}
	return out, nil
}
