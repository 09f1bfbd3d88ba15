// Package notifier acts on the ledger the way signing playbooks do: it
// reminds recipients who have not signed, escalates after bounces, silence
// or expiry, replaces a recipient by its alternate at the provider, warns
// before an envelope expires, and measures the funnel.
//
// It consumes ENVELOPES with its durable consumer and keeps no database:
// whom to remind comes from the entries and the envelope record statesync
// maintains. Every reminder, escalation deadline and expiry warning is a
// JetStream message schedule in NOTIFY (one subject per timer), cancelled
// by purging its subject when the recipient or the envelope is done; a
// fired timer is a job on the NOTIFY work queue, run by the shared worker
// loop (MaxDeliver, backoff, DLQ). Each action is recorded in the ledger
// through STATE under an id derived from what it is, so it is recorded
// once however often its job is delivered.
package notifier

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/notify"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/clients"
)

// ErrConfig is returned (wrapped) by New for an incomplete Config.
var ErrConfig = errors.New("notifier: invalid config")

// Config is what the notifier needs.
type Config struct {
	File     *config.File
	JS       jetstream.JetStream
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Metrics  *bus.Metrics
	// Topology sizes the consumers; MaxDeliver must match it.
	Topology bus.Topology
	// Client builds a provider's API client (default clients.New); a nil
	// client: channels only.
	Client func(p config.Provider) (providers.StatusClient, error)
	// APIOptions tune the API clients clients.New builds.
	APIOptions apiclient.Options
	// HTTP posts webhook channels; TLS configures STARTTLS (tests).
	HTTP *http.Client
	TLS  *tls.Config
	// Retry is the transient-error policy of both consumers and the
	// redriver of the notifier's transient dead letters (process.RetryOf).
	Retry process.Retry
	// Concurrency of each worker (default bus.DefaultConcurrency).
	Concurrency int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service is the notifier.
type Service struct {
	cfg     Config
	log     *slog.Logger
	records jetstream.KeyValue
	state   jetstream.KeyValue
	notify  jetstream.Stream
	deliver *notify.Deliverer
	metrics *metrics
	ledger  *bus.Worker
	jobs    *bus.Worker
	mu      sync.RWMutex
	tenants map[string]*config.Tenant
	apis    map[string]providers.StatusClient // "<tenant>/<provider id>"
}

// New builds the notifier: its two durable consumers (ENVELOPES, and the
// NOTIFY work queue) and the provider clients of providers with api:.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.File == nil || cfg.JS == nil {
		return nil, fmt.Errorf("%w: File and JS are required", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		o := cfg.APIOptions
		cfg.Client = func(p config.Provider) (providers.StatusClient, error) { return clients.New(p, o) }
	}
	s := &Service{cfg: cfg, log: cfg.Logger}
	commit, err := s.Reload(cfg.File)
	if err != nil {
		return nil, err
	}
	commit()
	if s.records, err = cfg.JS.KeyValue(ctx, bus.BucketEnvelopes); err != nil {
		return nil, fmt.Errorf("notifier: bucket %s: %w", bus.BucketEnvelopes, err)
	}
	if s.state, err = cfg.JS.CreateOrUpdateKeyValue(ctx, stateBucket(cfg.Topology)); err != nil {
		return nil, fmt.Errorf("notifier: bucket %s: %w", BucketNotifier, err)
	}
	if s.notify, err = cfg.JS.Stream(ctx, bus.StreamNotify); err != nil {
		return nil, fmt.Errorf("notifier: stream %s: %w", bus.StreamNotify, err)
	}
	if s.metrics, err = newMetrics(cfg.Registry); err != nil {
		return nil, fmt.Errorf("notifier: metrics: %w", err)
	}
	for id := range s.tenants {
		paused, err := s.paused(ctx, id)
		if err != nil {
			return nil, err
		}
		s.metrics.paused.WithLabelValues(id).Set(map[bool]float64{false: 0, true: 1}[paused])
	}
	s.deliver = &notify.Deliverer{Channels: s.channels, HTTP: cfg.HTTP, TLS: cfg.TLS, Now: cfg.Now, Sent: s.metrics.sent}
	consumers := []struct{ stream, durable, filter string }{
		{bus.StreamEnvelopes, bus.ConsumerNotifier, "envelope.>"},
		{bus.StreamNotify, bus.ConsumerNotifyJobs, "notify.>"},
	}
	for _, c := range consumers {
		if _, err := cfg.JS.CreateOrUpdateConsumer(ctx, c.stream, bus.ConsumerConfig(cfg.Topology, c.durable, c.stream, c.filter)); err != nil {
			return nil, fmt.Errorf("notifier: consumer %s on %s: %w", c.durable, c.stream, err)
		}
	}
	var mw []bus.Middleware
	if cfg.Metrics != nil {
		mw = append(mw, bus.WithMetrics(cfg.Metrics))
	}
	worker := func(stream, consumer string, h bus.Handler) (*bus.Worker, error) {
		return bus.NewWorker(cfg.JS, bus.WorkerConfig{
			Service: "notifier", Stream: stream, Consumer: consumer, Concurrency: cfg.Concurrency,
			MaxDeliver: cfg.Topology.MaxDeliver, Logger: cfg.Logger, Metrics: cfg.Metrics,
			Retry: cfg.Retry.Policy, ProbeEvery: cfg.Retry.ProbeEvery,
		}, h, mw...)
	}
	if s.ledger, err = worker(bus.StreamEnvelopes, bus.ConsumerNotifier, s.handleEntry); err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	if s.jobs, err = worker(bus.StreamNotify, bus.ConsumerNotifyJobs, s.handleJob); err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	return s, nil
}

// Run consumes the ledger and the NOTIFY jobs, and re-drives the
// notifier's transient dead letters, until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	g := process.Group{process.RunFunc(s.ledger.Run), process.RunFunc(s.jobs.Run)}
	if s.cfg.Retry.Redriver != nil {
		g = append(g, s.cfg.Retry.Redriver)
	}
	return g.Run(ctx)
}

// Reload prepares the notifier for config file f (tenants, playbooks,
// channels, provider clients) and returns the function that switches to
// it; jobs in flight finish with what they started with.
func (s *Service) Reload(f *config.File) (func(), error) {
	tenants := map[string]*config.Tenant{}
	apis := map[string]providers.StatusClient{}
	for i := range f.Tenants {
		t := &f.Tenants[i]
		tenants[t.ID] = t
		for _, p := range t.Providers {
			c, err := s.cfg.Client(p)
			if err != nil && !errors.Is(err, providers.ErrNoAPI) {
				return nil, fmt.Errorf("notifier: tenant %s: %w", t.ID, err)
			}
			if c != nil {
				apis[t.ID+"/"+p.ID()] = c
			}
		}
	}
	return func() {
		s.mu.Lock()
		s.tenants, s.apis = tenants, apis
		s.mu.Unlock()
		if s.metrics != nil {
			for id := range tenants {
				s.metrics.paused.WithLabelValues(id) // exported from the start, 0 until paused
			}
		}
	}, nil
}

// tenant returns a tenant's config, nil if unknown.
func (s *Service) tenant(id string) *config.Tenant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tenants[id]
}

// playbook returns a tenant's notify section, nil when it has none.
func (s *Service) playbook(tenant string) *config.Notify {
	if t := s.tenant(tenant); t != nil {
		return t.Notify
	}
	return nil
}

// channels returns a tenant's channels.
func (s *Service) channels(tenant string) []config.Channel {
	if n := s.playbook(tenant); n != nil {
		return n.Channels
	}
	return nil
}

// api returns the API client of a tenant's provider, nil without api:.
func (s *Service) api(tenant, provider string) providers.StatusClient {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.apis[tenant+"/"+provider]
}
