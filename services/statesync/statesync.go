// Package statesync applies canonical events (stream STATE) to the envelope
// state machine. The envelope record lives in a KV bucket and is written by
// compare-and-set on its revision, holding the state, the ids of applied
// events and an outbox of ledger entries; entries are then published to
// ENVELOPES with a Nats-Msg-Id, so "state changed", "event processed" and
// "ledger entry owed" are one atomic write, and a crash anywhere neither
// loses nor duplicates an entry.
package statesync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/dedupe"
	"github.com/countersign/countersign/shared/process"
)

// Config is what statesync needs.
type Config struct {
	JS jetstream.JetStream
	// Locker is the layer-2 dedupe lock (Redis, or JetStream KV).
	Locker   dedupe.Locker
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Metrics  *bus.Metrics
	// Retry is the transient-error policy, the dependency probe and the
	// redriver of transient dead letters (process.RetryOf; zero = the
	// bus defaults, no redriver).
	Retry process.Retry
	// MaxDeliver must match the consumer's (bus.Topology).
	MaxDeliver  int
	Concurrency int
	// LockTTL bounds how long a crashed worker's lock delays the event.
	LockTTL time.Duration
	// Now is the clock for recorded_at (tests); default time.Now.
	Now func() time.Time
}

// Service is a running statesync.
type Service struct {
	cfg     Config
	records RecordStore
	ledger  Ledger
	worker  *bus.Worker
	metrics *metrics
	cache   *recordCache
}

// New builds statesync and its worker on the STATE stream's durable
// consumer.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.JS == nil || cfg.Locker == nil {
		return nil, errors.New("statesync: Config.JS and Config.Locker are required")
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
	if cfg.LockTTL == 0 {
		cfg.LockTTL = 30 * time.Second
	}
	records, err := bus.OpenRecords(ctx, cfg.JS)
	if err != nil {
		return nil, fmt.Errorf("statesync: %w", err)
	}
	ledger, err := cfg.JS.Stream(ctx, bus.StreamEnvelopes)
	if err != nil {
		return nil, fmt.Errorf("statesync: stream %s: %w", bus.StreamEnvelopes, err)
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("statesync: metrics: %w", err)
	}
	s := &Service{cfg: cfg, records: records, ledger: streamLedger{js: cfg.JS, stream: ledger}, metrics: m, cache: newRecordCache()}
	var mw []bus.Middleware
	if cfg.Metrics != nil {
		mw = append(mw, bus.WithMetrics(cfg.Metrics))
	}
	mw = append(mw, bus.Dedupe(cfg.Locker, bus.ConsumerStatesync, cfg.LockTTL, eventKey))
	w, err := bus.NewWorker(cfg.JS, bus.WorkerConfig{
		Service:     "statesync",
		Stream:      bus.StreamState,
		Consumer:    bus.ConsumerStatesync,
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
		return nil, fmt.Errorf("statesync: %w", err)
	}
	s.worker = w
	return s, nil
}

// Run consumes STATE until ctx is done, and re-drives statesync's
// transient dead letters (when Config.Retry has a redriver).
func (s *Service) Run(ctx context.Context) error {
	if s.cfg.Retry.Redriver == nil {
		return s.worker.Run(ctx)
	}
	return process.Group{s.worker, s.cfg.Retry.Redriver}.Run(ctx)
}

// eventKey is the dedupe lock key of a STATE message: its event id, which
// the verifier set as Nats-Msg-Id.
func eventKey(m *bus.Message) string {
	if id := m.Header.Get("Nats-Msg-Id"); id != "" {
		return id
	}
	return fmt.Sprintf("%s-%d", m.Stream, m.StreamSeq)
}

type metrics struct {
	entries   *prometheus.CounterVec
	conflicts prometheus.Counter
	casRetry  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_ledger_entries_total",
			Help: "Ledger entries written, by type (stale and conflict included).",
		}, []string{"type"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "countersign_statesync_conflicts_total",
			Help: "Different terminal events for one envelope (the first stands until the provider corrects).",
		}),
		casRetry: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "countersign_statesync_cas_retries_total",
			Help: "Envelope record writes retried after a concurrent update.",
		}),
	}
	for _, c := range []prometheus.Collector{m.entries, m.conflicts, m.casRetry} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
