package bus

import (
	"context"
	"sync"
	"time"
)

// Pause defaults.
const (
	// DefaultProbeEvery is how often a paused worker asks whether its
	// dependency is back.
	DefaultProbeEvery = 5 * time.Second
	// pauseHold is how far ahead each server-side pause reaches; it is
	// renewed while the dependency stays down, so a worker that dies while
	// paused leaves a pause that ends by itself.
	pauseHold = 30 * time.Second
)

// pauser holds a worker's consumer while a dependency is down: the
// consumer is paused on the server (every replica stops being fed, and
// nothing burns deliveries), a probe runs every ProbeEvery, and on the
// first success the consumer resumes and OnResume runs.
type pauser struct {
	w      *Worker
	mu     sync.Mutex
	active bool
}

// pausedNow reports whether the worker is paused.
func (p *pauser) pausedNow() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.active
}

// start pauses for u unless a pause is already running.
func (p *pauser) start(ctx context.Context, u *unavailable) {
	p.mu.Lock()
	if p.active {
		p.mu.Unlock()
		return
	}
	p.active = true
	p.mu.Unlock()
	w := p.w
	w.cfg.Logger.Warn("bus: dependency down; consumer paused until it is back", "service", w.cfg.Service,
		"consumer", w.cfg.Consumer, "dependency", u.dependency, "err", u.err)
	w.cfg.Metrics.paused(w.cfg.Service, u.dependency, true)
	go p.hold(ctx, u)
}

func (p *pauser) hold(ctx context.Context, u *unavailable) {
	w := p.w
	defer func() {
		p.mu.Lock()
		p.active = false
		p.mu.Unlock()
		w.cfg.Metrics.paused(w.cfg.Service, u.dependency, false)
	}()
	var until time.Time
	for {
		if time.Until(until) < pauseHold/2 {
			until = time.Now().Add(pauseHold)
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			for _, name := range w.consumers {
				if _, err := w.js.PauseConsumer(pctx, w.cfg.Stream, name, until); err != nil {
					// An older server or a lost connection: the local pause
					// (feed hands messages back) still holds.
					w.cfg.Logger.Debug("bus: pause consumer", "service", w.cfg.Service, "consumer", name, "err", err)
				}
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.cfg.ProbeEvery):
		}
		pctx, cancel := context.WithTimeout(ctx, w.cfg.ProbeEvery)
		err := u.probe(pctx)
		cancel()
		if err == nil {
			break
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, name := range w.consumers {
		if _, err := w.js.ResumeConsumer(rctx, w.cfg.Stream, name); err != nil {
			w.cfg.Logger.Warn("bus: resume consumer (the pause ends by itself)", "service", w.cfg.Service, "consumer", name, "err", err)
		}
	}
	w.cfg.Logger.Info("bus: dependency back; consumer resumed", "service", w.cfg.Service, "dependency", u.dependency)
	if w.cfg.OnResume != nil {
		w.cfg.OnResume(ctx, u.dependency)
	}
}
