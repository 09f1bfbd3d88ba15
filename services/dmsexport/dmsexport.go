// Package dmsexport exports completed envelopes into the company's store:
// for every envelope that completes at a provider with an API, one job on
// the EXPORT work queue downloads the signed documents and the audit trail
// through the provider's API, adds countersign's verified ledger snapshot,
// writes manifest.json last, checks every artefact by SHA-256 against what
// the target holds, records exported (and, if configured, purges at the
// provider and records purged) in the ledger through STATE.
package dmsexport

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/clients"
)

// Durable consumers of the service.
const (
	// ConsumerTrigger reads completed (and corrected) entries on ENVELOPES.
	ConsumerTrigger = "dmsexport"
	// ConsumerJobs works the EXPORT queue.
	ConsumerJobs = "dmsexport-jobs"
)

// Defaults of Config.
const (
	// DefaultConcurrency bounds exports running at once: each holds at
	// most one S3 part (8 MiB) or one object store chunk in memory, so
	// memory stays far below the 64 MB budget whatever the documents' size.
	DefaultConcurrency = 4
	// NotReadyDelay is the first wait before asking again for files the
	// provider is still preparing; it doubles per delivery up to
	// NotReadyMaxDelay (with MaxDeliver 10: about 20 minutes in all).
	NotReadyDelay    = 5 * time.Second
	NotReadyMaxDelay = 5 * time.Minute
	// LedgerWait is the wait before checking again that exported is on
	// the ledger (the purge waits for it, so the ledger says exported
	// before purged), LedgerMaxWait how long one delivery waits before
	// handing the job back for as long again.
	LedgerWait    = 250 * time.Millisecond
	LedgerMaxWait = 30 * time.Second
)

// Config is what the service needs.
type Config struct {
	File     *config.File
	JS       jetstream.JetStream
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// WorkerMetrics are the bus worker metrics (nil: none).
	WorkerMetrics *bus.Metrics
	Topology      bus.Topology
	// Concurrency bounds exports at once (default DefaultConcurrency).
	Concurrency int
	// Documents builds a provider's document client (default
	// clients.Documents); nil client: that provider is not exported.
	Documents func(p config.Provider) (providers.DocumentClient, error)
	// APIOptions tune the API clients clients.Documents builds.
	APIOptions apiclient.Options
	// Targets opens a tenant's target (default target.Open).
	Targets func(ctx context.Context, t config.Tenant) (target.Target, error)
	// Failed, if set, is called when an export has failed for good (its
	// job dead-lettered), after countersign.export_failed is queued for
	// the tenant's notify channels.
	Failed func(ctx context.Context, r Record)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service is the DMS exporter.
type Service struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	records records
	// tenants is swapped whole by a config reload (Reload).
	tenants atomic.Pointer[map[string]*tenant]
	trigger *bus.Worker
	jobs    *bus.Worker
}

// tenant is one tenant's target, purge policy and document clients.
type tenant struct {
	id      string
	target  target.Target
	purge   bool
	clients map[string]providers.DocumentClient // provider kind → client
	// channels receive countersign.export_failed (notify.channels).
	channels []config.Channel
}

// New builds the service: the exports bucket, both durable consumers, one
// target per tenant and a document client per provider with api:.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry, cfg.JS)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Logger, metrics: m}
	tenants, err := s.buildTenants(ctx, cfg.File)
	if err != nil {
		return nil, err
	}
	s.tenants.Store(&tenants)
	tp := cfg.Topology
	kv, err := cfg.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: BucketExports, History: 1, Storage: jetstream.FileStorage, Replicas: max(tp.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("dmsexport: bucket %s: %w", BucketExports, err)
	}
	s.records = records{kv: kv}
	trig := bus.ConsumerConfig(tp, ConsumerTrigger, bus.StreamEnvelopes, "envelope.*.*.completed", "envelope.*.*.corrected")
	if _, err := cfg.JS.CreateOrUpdateConsumer(ctx, bus.StreamEnvelopes, trig); err != nil {
		return nil, fmt.Errorf("dmsexport: consumer %s: %w", ConsumerTrigger, err)
	}
	if _, err := cfg.JS.CreateOrUpdateConsumer(ctx, bus.StreamExport, bus.ConsumerConfig(tp, ConsumerJobs, bus.StreamExport)); err != nil {
		return nil, fmt.Errorf("dmsexport: consumer %s: %w", ConsumerJobs, err)
	}
	var mw []bus.Middleware
	if cfg.WorkerMetrics != nil {
		mw = append(mw, bus.WithMetrics(cfg.WorkerMetrics))
	}
	maxDeliver := tp.MaxDeliver
	if maxDeliver <= 0 {
		maxDeliver = bus.DefaultMaxDeliver
	}
	s.trigger, err = bus.NewWorker(cfg.JS, bus.WorkerConfig{
		Service: "dmsexport", Stream: bus.StreamEnvelopes, Consumer: ConsumerTrigger,
		Concurrency: 16, MaxDeliver: maxDeliver, Logger: cfg.Logger, Metrics: cfg.WorkerMetrics,
	}, s.enqueue, mw...)
	if err != nil {
		return nil, fmt.Errorf("dmsexport: %w", err)
	}
	// Batch 1: a job is long, and one buffered behind a running export
	// would wait instead of going to another replica.
	s.jobs, err = bus.NewWorker(cfg.JS, bus.WorkerConfig{
		Service: "dmsexport", Stream: bus.StreamExport, Consumer: ConsumerJobs,
		Concurrency: cfg.Concurrency, Batch: cfg.Concurrency, MaxDeliver: maxDeliver,
		Logger: cfg.Logger, Metrics: cfg.WorkerMetrics,
	}, s.export, mw...)
	if err != nil {
		return nil, fmt.Errorf("dmsexport: %w", err)
	}
	return s, nil
}

func (c *Config) withDefaults() error {
	if c.File == nil || c.JS == nil {
		return fmt.Errorf("%w: File and JS are required", ErrConfig)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Documents == nil {
		o := c.APIOptions
		if o.Logger == nil {
			o.Logger = c.Logger
		}
		c.Documents = func(p config.Provider) (providers.DocumentClient, error) { return clients.Documents(p, o) }
	}
	if c.Targets == nil {
		js, replicas := c.JS, c.Topology.Replicas
		c.Targets = func(ctx context.Context, t config.Tenant) (target.Target, error) {
			var creds target.Credentials
			if t.Export != nil {
				creds = target.Credentials{AccessKey: t.Export.AccessKey.Value(), SecretKey: t.Export.SecretKey.Value()}
			}
			return target.Open(ctx, t.ExportTarget(), creds, js, replicas)
		}
	}
	return nil
}

// buildTenants builds each tenant's document clients and opens its
// target (only for tenants with a provider to download from).
func (s *Service) buildTenants(ctx context.Context, f *config.File) (map[string]*tenant, error) {
	out := map[string]*tenant{}
	for _, t := range f.Tenants {
		tn := &tenant{id: t.ID, clients: map[string]providers.DocumentClient{}, purge: t.Export != nil && t.Export.PurgeAtProvider}
		for _, p := range t.Providers {
			c, err := s.cfg.Documents(p)
			if err != nil {
				return nil, fmt.Errorf("dmsexport: tenant %s: %w", t.ID, err)
			}
			if c != nil {
				tn.clients[p.Kind] = c
				s.metrics.zero(t.ID, p.Kind)
			}
		}
		if t.Notify != nil {
			tn.channels = t.Notify.Channels
		}
		if len(tn.clients) == 0 {
			continue // nothing to download from: no target needed
		}
		var err error
		if tn.target, err = s.cfg.Targets(ctx, t); err != nil {
			return nil, fmt.Errorf("dmsexport: tenant %s: export target: %w", t.ID, err)
		}
		out[t.ID] = tn
	}
	return out, nil
}

// tenant returns a tenant's export settings as the config in force has
// them (nil: nothing to export for it).
func (s *Service) tenant(id string) *tenant { return (*s.tenants.Load())[id] }

// Reload implements process.ReloadFunc: tenants, providers, API
// credentials, targets and purge policy of the new file apply to jobs
// from then on (a job in flight finishes with what it started with); a
// target that cannot be opened keeps the old config.
func (s *Service) Reload(f *config.File) (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tenants, err := s.buildTenants(ctx, f)
	if err != nil {
		return nil, err
	}
	return func() { s.tenants.Store(&tenants) }, nil
}

// Run consumes ENVELOPES and EXPORT until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	return process.Group{s.trigger, s.jobs}.Run(ctx)
}
