package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/services/notifier/internal/playbook"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/notify"
)

// BucketNotifier holds the notifier's per-tenant windows (key
// window.<tenant>): a cache derived from the ledger, not a database.
const BucketNotifier = "notifier"

// casAttempts bounds compare-and-set retries on a tenant's window.
const casAttempts = 20

func stateBucket(t bus.Topology) jetstream.KeyValueConfig {
	r := t.Replicas
	if r <= 0 {
		r = 1
	}
	return jetstream.KeyValueConfig{Bucket: BucketNotifier, History: 1, Storage: jetstream.FileStorage, Replicas: r}
}

func windowKey(tenant string) string { return "window." + tenant }

// observe feeds an entry to the tenant's window: funnel metrics, and the
// pause when the bounce or expiry rate runs high. Only tenants with a
// playbook are measured, and only entries that can change the window cost
// a KV round trip.
func (s *Service) observe(ctx context.Context, e envelope.Entry) error {
	if s.playbook(e.Tenant) == nil {
		return nil
	}
	switch {
	case e.Type == envelope.TypeSent, e.Type == envelope.TypeRecipientDeliveryFailed,
		e.Type == envelope.TypeRecipientAuthFailed, e.Type == envelope.TypeExpired,
		e.Type == envelope.TypeCompleted, e.State == envelope.StatePartiallySigned && e.PreviousState != e.State:
	default:
		return nil
	}
	p := s.pauseConfig(e.Tenant)
	var (
		obs         playbook.Observation
		newlyPaused bool
		w           playbook.Window
	)
	err := s.updateWindow(ctx, e.Tenant, func(cur *playbook.Window) bool {
		obs = cur.Observe(e, p.Window)
		newlyPaused = cur.Evaluate(p, s.cfg.Now())
		w = *cur
		return len(obs.Outcomes) > 0 || newlyPaused
	})
	if err != nil {
		return err
	}
	for _, o := range obs.Outcomes {
		s.metrics.outcomes.WithLabelValues(e.Tenant, e.Provider, o).Inc()
	}
	if obs.TimeToSign > 0 {
		s.metrics.timeToSign.WithLabelValues(e.Tenant, e.Provider).Observe(obs.TimeToSign.Seconds())
	}
	s.metrics.windowRate.WithLabelValues(e.Tenant, playbook.OutcomeBounced).Set(w.Rate(playbook.OutcomeBounced, p.Window))
	s.metrics.windowRate.WithLabelValues(e.Tenant, playbook.OutcomeExpired).Set(w.Rate(playbook.OutcomeExpired, p.Window))
	if w.Paused {
		s.metrics.paused.WithLabelValues(e.Tenant).Set(1)
	}
	if newlyPaused {
		s.log.Warn("notifier: reminders paused", "tenant", e.Tenant, "reason", w.Reason)
		note := notify.Notification{
			ID: notify.ID(e.Tenant, "playbook_paused", w.PausedAt.Format(time.RFC3339Nano)), Type: notify.TypePlaybookPaused,
			Timestamp: w.PausedAt, Data: notify.Data{Tenant: e.Tenant, Reason: w.Reason},
		}
		if _, err := notify.Enqueue(ctx, s.cfg.JS, s.channels(e.Tenant), note); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) pauseConfig(tenant string) config.Pause {
	if n := s.playbook(tenant); n != nil {
		return n.Pause
	}
	return config.Pause{Rate: config.DefaultPauseRate, Window: config.DefaultPauseWindow}
}

// updateWindow applies change to the tenant's window by compare-and-set;
// change returns false when it changed nothing (no write).
func (s *Service) updateWindow(ctx context.Context, tenant string, change func(*playbook.Window) bool) error {
	key := windowKey(tenant)
	for range casAttempts {
		var (
			w   playbook.Window
			rev uint64
		)
		kve, err := s.state.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("notifier: window %s: %w", tenant, err)
		default:
			rev = kve.Revision()
			if err := json.Unmarshal(kve.Value(), &w); err != nil {
				w = playbook.Window{} // a cache: start again
			}
		}
		if !change(&w) {
			return nil
		}
		b, err := json.Marshal(w)
		if err != nil {
			return fmt.Errorf("notifier: window %s: %w", tenant, err)
		}
		if rev == 0 {
			_, err = s.state.Create(ctx, key, b)
		} else {
			_, err = s.state.Update(ctx, key, b, rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongSequence(err) {
			return fmt.Errorf("notifier: window %s: %w", tenant, err)
		}
	}
	return bus.Retry(fmt.Errorf("notifier: window %s: too many concurrent updates", tenant), 50*time.Millisecond)
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// window reads a tenant's window.
func (s *Service) window(ctx context.Context, tenant string) (playbook.Window, error) {
	var w playbook.Window
	kve, err := s.state.Get(ctx, windowKey(tenant))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return w, nil
	case err != nil:
		return w, fmt.Errorf("notifier: window %s: %w", tenant, err)
	}
	_ = json.Unmarshal(kve.Value(), &w)
	return w, nil
}

// paused reports whether a tenant's reminders are paused.
func (s *Service) paused(ctx context.Context, tenant string) (bool, error) {
	w, err := s.window(ctx, tenant)
	return w.Paused, err
}

// Resume lifts a tenant's pause (POST /v1/tenants/{t}/notify/resume) and
// reports whether it was paused (a tenant without a notify section never
// is). It returns ErrUnknownTenant for a tenant not in the config.
func (s *Service) Resume(ctx context.Context, tenant string) (bool, error) {
	if s.tenant(tenant) == nil {
		return false, fmt.Errorf("%w: %q", ErrUnknownTenant, tenant)
	}
	was := false
	err := s.updateWindow(ctx, tenant, func(w *playbook.Window) bool {
		was = w.Paused
		w.Resume(s.cfg.Now())
		return true
	})
	if err != nil {
		return false, err
	}
	s.metrics.paused.WithLabelValues(tenant).Set(0)
	s.log.Info("notifier: reminders resumed", "tenant", tenant, "was_paused", was)
	return was, nil
}

// ErrUnknownTenant is returned (wrapped) by Resume and Status for a
// tenant not in the config.
var ErrUnknownTenant = errors.New("notifier: unknown tenant")
