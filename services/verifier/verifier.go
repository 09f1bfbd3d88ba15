// Package verifier turns raw callbacks (stream RAW) into canonical envelope
// events (stream STATE): it re-reads what ingress stored, parses it with the
// provider's adapter and publishes one message per event, keyed by the
// event's semantic id so that retries of one happening collapse.
package verifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// Config is what the verifier needs.
type Config struct {
	File     *config.File
	JS       jetstream.JetStream
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Metrics are the shared worker metrics (may be nil).
	Metrics *bus.Metrics
	// Retry is the transient-error policy, the dependency probe and the
	// redriver of transient dead letters (process.RetryOf; zero = the
	// bus defaults, no redriver).
	Retry process.Retry
	// MaxDeliver must match the consumer's (bus.Topology).
	MaxDeliver int
	// Concurrency is the number of raw callbacks handled at once.
	Concurrency int
}

// Publisher is where the verifier's events go: STATE, through
// bus.PublishEvents (EventMsg, every ack awaited).
type Publisher interface {
	Publish(ctx context.Context, evs []envelope.Event) error
}

// statePublisher is the Publisher on JetStream.
type statePublisher struct{ js jetstream.JetStream }

func (p statePublisher) Publish(ctx context.Context, evs []envelope.Event) error {
	return bus.PublishEvents(ctx, p.js, evs)
}

// Service is a running verifier.
type Service struct {
	cfg Config
	pub Publisher
	// adapters are keyed "<tenant>/<kind>"; a config reload swaps the map.
	adapters atomic.Pointer[map[string]providers.Adapter]
	worker   *bus.Worker
	ignored  *prometheus.CounterVec
	events   *prometheus.CounterVec
	confirm  *confirmer
}

// New builds the verifier and its worker on the RAW stream's durable
// consumer.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.File == nil || cfg.JS == nil {
		return nil, errors.New("verifier: Config.File and Config.JS are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Service{cfg: cfg, pub: statePublisher{js: cfg.JS}}
	adapters, err := buildAdapters(cfg.File)
	if err != nil {
		return nil, err
	}
	s.adapters.Store(&adapters)
	s.ignored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "countersign_verifier_ignored_total",
		Help: "Authenticated callbacks of a type countersign does not map (stored, ignored).",
	}, []string{"tenant", "provider"})
	s.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "countersign_verifier_events_total",
		Help: "Canonical events published to STATE, by provider and type.",
	}, []string{"provider", "type"})
	for _, c := range []prometheus.Collector{s.ignored, s.events} {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("verifier: metrics: %w", err)
		}
	}
	confirm, err := newConfirmer(cfg.File, apiclient.Options{Logger: cfg.Logger}, cfg.Registry)
	if err != nil {
		return nil, err
	}
	s.confirm = confirm
	var mw []bus.Middleware
	if cfg.Metrics != nil {
		mw = append(mw, bus.WithMetrics(cfg.Metrics))
	}
	w, err := bus.NewWorker(cfg.JS, bus.WorkerConfig{
		Service:     "verifier",
		Stream:      bus.StreamRaw,
		Consumer:    bus.ConsumerVerifier,
		Concurrency: cfg.Concurrency,
		MaxDeliver:  cfg.MaxDeliver,
		Retry:       cfg.Retry.Policy,
		ProbeEvery:  cfg.Retry.ProbeEvery,
		OnResume: func(context.Context, string) {
			if cfg.Retry.Redriver != nil {
				cfg.Retry.Redriver.Kick()
			}
		},
		Logger:  cfg.Logger,
		Metrics: cfg.Metrics,
	}, s.handle, mw...)
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	s.worker = w
	return s, nil
}

// Run consumes RAW until ctx is done, and re-drives the verifier's
// transient dead letters (when Config.Retry has a redriver).
func (s *Service) Run(ctx context.Context) error {
	if s.cfg.Retry.Redriver == nil {
		return s.worker.Run(ctx)
	}
	return process.Group{s.worker, s.cfg.Retry.Redriver}.Run(ctx)
}

// handle verifies one raw callback. Malformed content and callbacks for a
// tenant or provider no longer configured are permanent (DLQ); failing
// to publish is transient (redelivered).
func (s *Service) handle(ctx context.Context, m *bus.Message) error {
	tenant, kind, _, req, err := bus.DecodeRaw(m)
	if err != nil {
		return bus.Permanent(fmt.Errorf("decode raw callback: %w", err))
	}
	a, ok := (*s.adapters.Load())[tenant+"/"+kind]
	if !ok {
		return bus.Permanent(fmt.Errorf("no provider %q configured for tenant %q", kind, tenant))
	}
	events, err := Events(a, tenant, req)
	if err != nil {
		return err
	}
	if len(events) == 0 {
		s.ignored.WithLabelValues(tenant, kind).Inc()
		return nil
	}
	if events, err = s.confirm.confirm(ctx, tenant, a, events); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	if m.Header.Get(bus.HeaderReplayOf) != "" {
		for i := range events {
			events[i].Source = envelope.SourceReplay
		}
	}
	if err := s.pub.Publish(ctx, events); err != nil {
		return fmt.Errorf("publish events: %w", err)
	}
	for i := range events {
		s.events.WithLabelValues(kind, string(events[i].Type)).Inc()
	}
	return nil
}

// Events is the verifier's pure part: the canonical events of one raw
// callback, refused as permanent when the body is not valid UTF-8 (JSON
// decoding would rewrite the bad bytes to U+FFFD, so two different ids
// could become one envelope: refuse, never merge), when the adapter
// cannot parse it, or when a field could not become a subject, key or
// header. No events and no error: an authenticated type countersign does
// not map.
func Events(a providers.Adapter, tenant string, req *providers.Request) ([]envelope.Event, error) {
	if !utf8.Valid(req.Body) {
		return nil, bus.Permanent(fmt.Errorf("%w: body: not valid UTF-8", providers.ErrMalformed))
	}
	events, err := a.Parse(tenant, req)
	if err != nil {
		return nil, bus.Permanent(err)
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	return events, nil
}

// checkEvents refuses, as permanent, events with a field that cannot
// become a subject, key or header (envelope.Event.Check): the callback is
// stored, and dead-lettered with the field and the reason, never crashes
// the connection with an oversized subject.
func checkEvents(events []envelope.Event) error {
	for i := range events {
		if err := events[i].Check(); err != nil {
			return bus.Permanent(fmt.Errorf("event %d: %w", i, err))
		}
	}
	return nil
}
