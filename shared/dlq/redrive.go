package dlq

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
)

// RedriveWindow is how far back a re-drive pass looks: dead letters older
// than that were either re-driven already or are left to an operator.
const RedriveWindow = 24 * time.Hour

// Redriver sends a service's transient dead letters — messages that ran
// out of retry budget while a dependency was down — back to their subject
// without a human: every Interval, and at once when Kick is called (a
// worker whose paused consumer resumed, because the dependency is back).
// Entries are re-driven once (Replay skips replayed ones); semantic ids
// keep the effects single. Permanent, panic and max-delivery entries are
// never re-driven: those need a fix first.
// Build it with NewRedriver.
type Redriver struct {
	Store    *Store
	Service  string
	Interval time.Duration
	Logger   *slog.Logger
	// Redriven counts re-driven entries by service (see NewRedriveCounter).
	Redriven *prometheus.CounterVec

	kick chan struct{}
}

// NewRedriveCounter returns countersign_dlq_redriven_total registered with
// reg, or the one already there (several services share a process).
func NewRedriveCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "countersign_dlq_redriven_total",
		Help: "Transient dead letters re-driven to their subject automatically, by service.",
	}, []string{"service"})
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
	}
	return c
}

// NewRedriver returns a Redriver of service's dead letters in store.
func NewRedriver(store *Store, service string, interval time.Duration, logger *slog.Logger, redriven *prometheus.CounterVec) *Redriver {
	if logger == nil {
		logger = slog.Default()
	}
	return &Redriver{Store: store, Service: service, Interval: interval, Logger: logger, Redriven: redriven, kick: make(chan struct{}, 1)}
}

// Kick asks for a pass now (it never blocks).
func (r *Redriver) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run re-drives until ctx is done; it returns nil.
func (r *Redriver) Run(ctx context.Context) error {
	kick := r.kick
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-kick:
		}
		r.Pass(ctx)
	}
}

// Pass re-drives the service's transient dead letters of the last
// RedriveWindow that were not re-driven yet, and returns how many.
func (r *Redriver) Pass(ctx context.Context) int {
	res, err := r.Store.Replay(ctx, Selection{Filter: Filter{
		Service: r.Service, Class: bus.ClassTransient, Since: time.Now().Add(-RedriveWindow),
	}})
	if err != nil {
		if ctx.Err() == nil {
			r.Logger.Warn("dlq: re-drive", "service", r.Service, "err", err)
		}
		return 0
	}
	if res.Replayed > 0 {
		if r.Redriven != nil {
			r.Redriven.WithLabelValues(r.Service).Add(float64(res.Replayed))
		}
		r.Logger.Info("dlq: transient dead letters re-driven", "service", r.Service, "count", res.Replayed)
	}
	return res.Replayed
}
