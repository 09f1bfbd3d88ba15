package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/config"
)

// ReloadFunc prepares a service for a new config file: it builds
// everything it derives from the file (adapters, verifying keys, API
// clients, token sets) and returns commit, which swaps them in atomically
// and cannot fail. An error leaves the service as it was.
type ReloadFunc func(f *config.File) (commit func(), err error)

// reloads is an Env's reload state: the hooks services registered, the
// file in force, and its generation.
type reloads struct {
	mu      sync.Mutex
	hooks   []ReloadFunc
	current *config.File
	gen     int64
	metrics *reloadMetrics
}

type reloadMetrics struct {
	generation prometheus.Gauge
	success    prometheus.Gauge
	at         prometheus.Gauge
	total      *prometheus.CounterVec
}

func newReloadMetrics(reg prometheus.Registerer) (*reloadMetrics, error) {
	m := &reloadMetrics{
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "countersign_config_generation",
			Help: "Generation of the config file in force: 1 at start, +1 per successful reload.",
		}),
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "countersign_config_last_reload_success",
			Help: "1 if the last config reload (SIGHUP) succeeded or none was tried, 0 if it failed and the previous file stays in force.",
		}),
		at: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "countersign_config_last_reload_timestamp_seconds",
			Help: "When the last config reload was tried (0: never).",
		}),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_config_reloads_total",
			Help: "Config reloads tried, by outcome (success, failure).",
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.generation, m.success, m.at, m.total} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("reload metrics: %w", err)
		}
	}
	m.generation.Set(1)
	m.success.Set(1)
	return m, nil
}

// OnReload registers f to run on every config reload. Services register
// in their FromEnv.
func (e *Env) OnReload(f ReloadFunc) {
	e.reloads.mu.Lock()
	defer e.reloads.mu.Unlock()
	e.reloads.hooks = append(e.reloads.hooks, f)
}

// Config returns the config file in force: Env.File until a reload
// succeeds, then the reloaded one.
func (e *Env) Config() *config.File {
	e.reloads.mu.Lock()
	defer e.reloads.mu.Unlock()
	if e.reloads.current == nil {
		return e.File
	}
	return e.reloads.current
}

// Generation returns the config generation: 1 at start, +1 per
// successful reload.
func (e *Env) Generation() int64 {
	e.reloads.mu.Lock()
	defer e.reloads.mu.Unlock()
	return e.reloads.gen + 1
}

// ErrReload wraps every reason a reload kept the running config.
var ErrReload = errors.New("config reload failed; the running config stays in force")

// Reload reads the config file again (Settings.ConfigPath) and, if it is
// valid and every service can build from it, swaps every service over to
// it; requests and messages in flight finish with what they started with
// and none is refused. Otherwise nothing changes and the error says why
// (wrapping ErrReload). Reloads are serialised. Settings of the streams
// and of the listeners themselves (addresses, timeouts, body limit) take
// effect at the next start.
func (e *Env) Reload(ctx context.Context) error {
	e.reloads.mu.Lock()
	defer e.reloads.mu.Unlock()
	err := e.reload()
	if m := e.reloads.metrics; m != nil {
		m.at.Set(float64(time.Now().UnixNano()) / 1e9)
		if err != nil {
			m.success.Set(0)
			m.total.WithLabelValues("failure").Inc()
		} else {
			m.success.Set(1)
			m.total.WithLabelValues("success").Inc()
			m.generation.Set(float64(e.reloads.gen + 1))
		}
	}
	if err != nil {
		e.Logger.ErrorContext(ctx, "config reload failed; keeping the running config",
			"config", e.Settings.ConfigPath, "generation", e.reloads.gen+1, "error", err.Error())
		return err
	}
	e.Logger.InfoContext(ctx, "config reloaded", "config", e.Settings.ConfigPath, "generation", e.reloads.gen+1)
	return nil
}

func (e *Env) reload() error {
	f, err := config.Load(e.Settings.ConfigPath)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrReload, err)
	}
	commits := make([]func(), 0, len(e.reloads.hooks))
	for _, h := range e.reloads.hooks {
		c, err := h(f)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrReload, err)
		}
		commits = append(commits, c)
	}
	for _, c := range commits {
		c()
	}
	e.reloads.current = f
	e.reloads.gen++
	return nil
}

// watchReloads reloads the config on every SIGHUP until ctx is done.
func (e *Env) watchReloads(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = e.Reload(ctx)
			}
		}
	}()
}
