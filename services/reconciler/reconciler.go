// Package reconciler polls provider APIs for the truth webhooks failed to
// bring: per (tenant, provider) with an api: section it lists the
// envelopes changed since its cursor (DocuSign, Dropbox Sign) and checks
// envelopes it holds as pending or in conflict one by one, and publishes
// what is missing into STATE as canonical events with source poll — the
// same pipeline and the same semantic ids as webhooks, so whichever comes
// second adds nothing. It polls on an interval that tightens while a
// provider is in trouble, one replica at a time per (tenant, provider).
package reconciler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/services/reconciler/internal/incident"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/clients"
)

// Defaults of Config.
const (
	// DefaultLeaseTTL bounds how long a crashed replica blocks polling of
	// its (tenant, provider); a live one renews its lease.
	DefaultLeaseTTL = 30 * time.Second
	// DefaultConcurrency is how many envelopes a round handles at once.
	DefaultConcurrency = 16
	// DefaultOverlap is how far back of a round's start the next
	// "changed since" window begins: provider and local clocks disagree,
	// and a change stamped just before the round must not fall between
	// two windows. Repeats cost nothing (semantic ids).
	DefaultOverlap = time.Minute
	// DocuSignCheckSpacing is DocuSign's rule: one GET of an envelope at
	// most every 15 minutes.
	DocuSignCheckSpacing = 15 * time.Minute
)

// Records reads envelope records (the envelopes KV bucket).
type Records interface {
	// Record returns an envelope's record, nil when there is none.
	Record(ctx context.Context, tenant, envelopeID string) (*envelope.Record, error)
	// Scan calls fn with every record of tenant.
	Scan(ctx context.Context, tenant string, fn func(*envelope.Record)) error
}

// Publisher publishes canonical events to STATE.
type Publisher interface {
	Publish(ctx context.Context, evs []envelope.Event) error
}

// Cursors keeps what the reconciler remembers between rounds.
type Cursors interface {
	Cursor(ctx context.Context, tenant, provider string) (Cursor, error)
	SetCursor(ctx context.Context, tenant, provider string, c Cursor) error
	// LastChecked is when the envelope was last asked about on its own
	// (zero: never); kept only for providers with a check spacing.
	LastChecked(ctx context.Context, tenant, provider, envelopeID string) (time.Time, error)
	SetChecked(ctx context.Context, tenant, provider, envelopeID string, at time.Time) error
}

// Leases make one replica at a time poll a (tenant, provider).
type Leases interface {
	// Acquire takes the lease for ttl, keeping it until release is
	// called; it returns an error wrapping ErrLeaseHeld when another
	// replica has it.
	Acquire(ctx context.Context, tenant, provider string, ttl time.Duration) (release func(), err error)
}

// Watcher observes a provider's health for incident detection.
type Watcher interface {
	Signals(ctx context.Context, tenant, provider string) (incident.Signals, error)
}

// Config is what the reconciler needs. With JS set, Records, Publisher,
// Cursors, Leases and Watcher default to JetStream; tests set them
// instead.
type Config struct {
	File     *config.File
	JS       jetstream.JetStream
	Logger   *slog.Logger
	Registry prometheus.Registerer

	Records   Records
	Publisher Publisher
	Cursors   Cursors
	Leases    Leases
	Watcher   Watcher
	// Client builds a provider's API client (default clients.New); nil
	// client: not reconciled.
	Client func(p config.Provider) (providers.StatusClient, error)
	// APIOptions tune the API clients clients.New builds.
	APIOptions apiclient.Options
	// CheckSpacing is the least time between two single-envelope GETs of
	// one envelope, per provider kind (default: DocuSign 15m).
	CheckSpacing map[string]time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	LeaseTTL    time.Duration
	Concurrency int
	Overlap     time.Duration
}

// Service is the reconciler.
type Service struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	targets map[string]*target // "<tenant>/<kind>"
}

// target is one reconciled (tenant, provider).
type target struct {
	tenant, kind string
	// api is the provider's API client; a config reload swaps it (new or
	// re-read tokens) without stopping the target's loop.
	api     atomic.Pointer[targetAPI]
	sched   config.Reconcile
	spacing time.Duration

	mu       sync.Mutex
	detector *incident.Detector
	reason   incident.Reason
}

// New builds the reconciler: one target per provider with api:. It
// returns an error wrapping ErrConfig without File, or without JS and the
// interfaces it would provide.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.withDefaults(ctx); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Logger, metrics: m, targets: map[string]*target{}}
	for _, t := range cfg.File.Tenants {
		for _, p := range t.Providers {
			c, err := cfg.Client(p)
			if err != nil {
				return nil, fmt.Errorf("reconciler: tenant %s: %w", t.ID, err)
			}
			if c == nil {
				continue
			}
			tg := &target{tenant: t.ID, kind: p.Kind, spacing: cfg.CheckSpacing[p.Kind], detector: incident.New(0, 0)}
			tg.setClient(c)
			if p.Reconcile != nil {
				tg.sched = *p.Reconcile
			}
			setDefault(&tg.sched.Interval, config.DefaultReconcileInterval)
			setDefault(&tg.sched.IncidentInterval, config.DefaultReconcileIncidentInterval)
			setDefault(&tg.sched.StaleAfter, config.DefaultReconcileStaleAfter)
			s.targets[t.ID+"/"+p.Kind] = tg
			m.incident.WithLabelValues(t.ID, p.Kind).Set(0)
			m.authFailures.WithLabelValues("reconciler", t.ID, p.Kind)
		}
	}
	return s, nil
}

func setDefault(d *config.Duration, def time.Duration) {
	if *d <= 0 {
		*d = config.Duration(def)
	}
}

func (c *Config) withDefaults(ctx context.Context) error {
	if c.File == nil {
		return fmt.Errorf("%w: Config.File is required", ErrConfig)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Client == nil {
		o := c.APIOptions
		if o.Logger == nil {
			o.Logger = c.Logger
		}
		c.Client = func(p config.Provider) (providers.StatusClient, error) { return clients.New(p, o) }
	}
	if c.CheckSpacing == nil {
		c.CheckSpacing = map[string]time.Duration{providers.KindDocuSign: DocuSignCheckSpacing}
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Overlap <= 0 {
		c.Overlap = DefaultOverlap
	}
	if c.JS != nil {
		var holder [8]byte
		_, _ = rand.Read(holder[:])
		st, err := newKVStore(ctx, c.JS, hex.EncodeToString(holder[:]), c.Now)
		if err != nil {
			return err
		}
		if c.Records == nil {
			c.Records = st
		}
		if c.Cursors == nil {
			c.Cursors = st
		}
		if c.Leases == nil {
			c.Leases = st
		}
		if c.Publisher == nil {
			c.Publisher = statePublisher{js: c.JS}
		}
		if c.Watcher == nil {
			c.Watcher = streamSignals{js: c.JS, now: c.Now}
		}
	}
	if c.Records == nil || c.Publisher == nil || c.Cursors == nil || c.Leases == nil {
		return fmt.Errorf("%w: Config.JS, or Records, Publisher, Cursors and Leases, are required", ErrConfig)
	}
	return nil
}

// Targets lists the reconciled (tenant, provider) pairs as
// "<tenant>/<kind>".
func (s *Service) Targets() []string {
	out := make([]string, 0, len(s.targets))
	for k := range s.targets {
		out = append(out, k)
	}
	return out
}

// Run polls every target on its schedule until ctx is done (with no
// target it just waits, so a process group keeps running).
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, tg := range s.targets {
		wg.Go(func() { s.loop(ctx, tg) })
	}
	<-ctx.Done()
	wg.Wait()
	return ctx.Err()
}

// loop polls one target until ctx is done. The first wait counts from the
// last round any replica finished (the cursor), so restarts neither skip
// nor repeat rounds.
func (s *Service) loop(ctx context.Context, tg *target) {
	wait := tg.interval()
	if c, err := s.cfg.Cursors.Cursor(ctx, tg.tenant, tg.kind); err == nil && !c.LastRound.IsZero() {
		wait = max(0, c.LastRound.Add(wait).Sub(s.cfg.Now()))
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if _, err := s.poll(ctx, tg, time.Time{}, false); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "reconcile round failed", "tenant", tg.tenant, "provider", tg.kind, "error", err.Error())
		}
		timer.Reset(tg.interval())
	}
}

// interval is the target's current poll interval.
func (tg *target) interval() time.Duration {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return incident.Interval(tg.reason, tg.sched.Interval.D(), tg.sched.IncidentInterval.D())
}

// Reconcile runs one round for (tenant, provider) now: the changes since
// since (zero: since the cursor) and the pending envelopes. It waits for
// the poll lease while another replica holds it, until ctx is done. It
// returns an error wrapping ErrUnknownTarget for a provider that is not
// reconciled.
func (s *Service) Reconcile(ctx context.Context, tenant, provider string, since time.Time) (Result, error) {
	tg, ok := s.targets[tenant+"/"+provider]
	if !ok {
		return Result{}, fmt.Errorf("%w: %s/%s", ErrUnknownTarget, tenant, provider)
	}
	return s.poll(ctx, tg, since, true)
}
