package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/countersign/countersign/services/reconciler/internal/drift"
	"github.com/countersign/countersign/services/reconciler/internal/incident"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// leaseRetry is how often Reconcile asks again for a lease another
// replica holds.
const leaseRetry = 100 * time.Millisecond

// Result is what one round found, as POST /v1/reconcile answers it.
type Result struct {
	Tenant   string `json:"tenant"`
	Provider string `json:"provider"`
	// Checked counts envelopes compared with the provider's status.
	Checked int `json:"checked"`
	// Drift counts envelopes whose state differed.
	Drift int `json:"drift"`
	// Published counts events published to STATE.
	Published int `json:"published"`
	// Running is set when the round outlasted the request: it goes on,
	// and the counts above are not known yet.
	Running bool `json:"running,omitempty"`
}

// poll runs one round under the target's lease, then updates its incident
// mode. With wait, a held lease is waited for; without, the round is
// skipped (another replica is doing it).
func (s *Service) poll(ctx context.Context, tg *target, since time.Time, wait bool) (Result, error) {
	release, err := s.cfg.Leases.Acquire(ctx, tg.tenant, tg.kind, s.cfg.LeaseTTL)
	for wait && errors.Is(err, ErrLeaseHeld) {
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("reconciler: %s/%s: %w", tg.tenant, tg.kind, err)
		case <-time.After(leaseRetry):
		}
		release, err = s.cfg.Leases.Acquire(ctx, tg.tenant, tg.kind, s.cfg.LeaseTTL)
	}
	if err != nil {
		if errors.Is(err, ErrLeaseHeld) {
			s.metrics.polls.WithLabelValues(tg.tenant, tg.kind, "lease_held").Inc()
			return Result{}, nil
		}
		return Result{}, fmt.Errorf("reconciler: %s/%s: lease: %w", tg.tenant, tg.kind, err)
	}
	res, apiFailed, err := s.round(ctx, tg, since)
	release()
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	if s.providerAuth(ctx, tg, err) {
		// Polling faster cannot cure a refused token: no incident mode.
		apiFailed = false
	}
	s.metrics.polls.WithLabelValues(tg.tenant, tg.kind, outcome).Inc()
	s.observe(ctx, tg, apiFailed)
	return res, err
}

// observe feeds the target's incident detector and sets its mode.
func (s *Service) observe(ctx context.Context, tg *target, apiFailed bool) {
	sig := incident.Signals{At: s.cfg.Now()}
	if s.cfg.Watcher != nil {
		var err error
		if sig, err = s.cfg.Watcher.Signals(ctx, tg.tenant, tg.kind); err != nil {
			s.log.WarnContext(ctx, "reconciler: provider signals", "tenant", tg.tenant, "provider", tg.kind, "error", err.Error())
		}
	}
	sig.APIFailed = apiFailed
	tg.mu.Lock()
	prev := tg.reason
	tg.reason = tg.detector.Observe(sig)
	now := tg.reason
	tg.mu.Unlock()
	if now != prev {
		s.log.InfoContext(ctx, "reconciler: incident mode", "tenant", tg.tenant, "provider", tg.kind,
			"incident", now != incident.ReasonNone, "reason", string(now))
	}
	v := 0.0
	if now != incident.ReasonNone {
		v = 1
	}
	s.metrics.incident.WithLabelValues(tg.tenant, tg.kind).Set(v)
}

// tally accumulates a round's findings across its workers.
type tally struct {
	mu     sync.Mutex
	res    Result
	oldest time.Time
	seen   map[string]bool
}

func (t *tally) add(checked, published int, changedAt time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.res.Checked += checked
	if published > 0 {
		t.res.Drift++
		t.res.Published += published
		if t.oldest.IsZero() || changedAt.Before(t.oldest) {
			t.oldest = changedAt
		}
	}
}

// round compares the target's changed and pending envelopes with the
// provider and publishes the difference. apiFailed reports whether the
// provider's API let it down.
func (s *Service) round(ctx context.Context, tg *target, since time.Time) (res Result, apiFailed bool, err error) {
	start := s.cfg.Now()
	cur, err := s.cfg.Cursors.Cursor(ctx, tg.tenant, tg.kind)
	if err != nil {
		return Result{}, false, err
	}
	t := &tally{res: Result{Tenant: tg.tenant, Provider: tg.kind}, seen: map[string]bool{}}
	defer func() {
		res = t.res
		lag := 0.0
		if !t.oldest.IsZero() {
			lag = max(0, start.Sub(t.oldest).Seconds())
		}
		s.metrics.lag.WithLabelValues(tg.tenant, tg.kind).Set(lag)
		s.metrics.checked.WithLabelValues(tg.tenant, tg.kind).Add(float64(t.res.Checked))
		s.metrics.drift.WithLabelValues(tg.tenant, tg.kind).Add(float64(t.res.Drift))
		s.metrics.published.WithLabelValues(tg.tenant, tg.kind).Add(float64(t.res.Published))
	}()
	if tg.apis().lister != nil {
		from := since
		if from.IsZero() {
			from = cur.Since
		}
		if from.IsZero() {
			from = start.Add(-tg.sched.StaleAfter.D())
		}
		if err := s.changed(ctx, tg, t, from); err != nil {
			return Result{}, isAPI(err), err
		}
	}
	if err := s.sweep(ctx, tg, t, start); err != nil {
		return Result{}, isAPI(err), err
	}
	next := Cursor{Since: cur.Since, LastRound: s.cfg.Now()}
	if tg.apis().lister != nil {
		// Never back: a trigger with an older since re-reads history
		// without making the scheduled rounds read it again.
		if w := start.Add(-s.cfg.Overlap); w.After(next.Since) {
			next.Since = w
		}
	}
	if err := s.cfg.Cursors.SetCursor(ctx, tg.tenant, tg.kind, next); err != nil {
		return Result{}, false, err
	}
	return Result{}, false, nil
}

// apiError marks an error as the provider API's.
type apiError struct{ err error }

func (e apiError) Error() string { return e.err.Error() }
func (e apiError) Unwrap() error { return e.err }

func isAPI(err error) bool {
	var a apiError
	return errors.As(err, &a)
}

// changed reconciles the envelopes the provider lists as changed since
// from. A list entry that names no recipients (DocuSign's) is completed
// by a single-envelope status where countersign is behind on it, so that
// the signatures the webhooks missed are found too.
func (s *Service) changed(ctx context.Context, tg *target, t *tally, from time.Time) error {
	sts, err := tg.apis().lister.ListChanged(ctx, from)
	if err != nil {
		s.metrics.apiErrors.WithLabelValues(tg.tenant, tg.kind).Inc()
		return apiError{fmt.Errorf("reconciler: %s/%s: list changes: %w", tg.tenant, tg.kind, err)}
	}
	for _, st := range sts {
		t.seen[st.EnvelopeID] = true
	}
	return forEach(ctx, s.cfg.Concurrency, sts, func(ctx context.Context, st providers.Status) error {
		rec, err := s.cfg.Records.Record(ctx, tg.tenant, st.EnvelopeID)
		if err != nil {
			return err
		}
		if len(st.Recipients) == 0 && behind(rec, st) {
			full, ok, err := s.status(ctx, tg, st.EnvelopeID)
			if err != nil {
				return err
			}
			if ok {
				st = full
			}
		}
		return s.settle(ctx, tg, t, rec, st)
	})
}

// behind reports whether countersign may be missing recipient events of
// an envelope listed in state st: it does not know the envelope, holds
// another state, or the envelope is part-way through signing.
func behind(rec *envelope.Record, st providers.Status) bool {
	return rec == nil || rec.State != st.State || st.State == envelope.StatePartiallySigned
}

// status asks the provider about one envelope, at most once per the
// target's check spacing. ok is false when it was not asked (too soon) or
// the provider has nothing usable to say (not found, unknown status).
func (s *Service) status(ctx context.Context, tg *target, envelopeID string) (providers.Status, bool, error) {
	if tg.spacing > 0 {
		last, err := s.cfg.Cursors.LastChecked(ctx, tg.tenant, tg.kind, envelopeID)
		if err != nil {
			return providers.Status{}, false, err
		}
		if !last.IsZero() && s.cfg.Now().Sub(last) < tg.spacing {
			return providers.Status{}, false, nil // the provider's rule: not yet
		}
	}
	st, err := tg.apis().client.Status(ctx, envelopeID)
	if tg.spacing > 0 {
		if err := s.cfg.Cursors.SetChecked(ctx, tg.tenant, tg.kind, envelopeID, s.cfg.Now()); err != nil {
			return providers.Status{}, false, err
		}
	}
	switch {
	case errors.Is(err, providers.ErrNotFound), errors.Is(err, providers.ErrUnknownStatus):
		// Nothing the provider says can be applied; the envelope keeps
		// its state and a later round asks again.
		s.log.DebugContext(ctx, "reconciler: no usable status", "tenant", tg.tenant, "provider", tg.kind,
			"envelope_id", envelopeID, "error", err.Error())
		return providers.Status{}, false, nil
	case err != nil:
		s.metrics.apiErrors.WithLabelValues(tg.tenant, tg.kind).Inc()
		return providers.Status{}, false, apiError{fmt.Errorf("reconciler: %s/%s: status of %s: %w", tg.tenant, tg.kind, envelopeID, err)}
	}
	return st, true, nil
}

// sweep checks, one by one, the target's envelopes that are in conflict,
// or pending: every non-terminal one for a provider without a change
// list, those unchanged for stale_after for one with. Envelopes the
// change list just covered are skipped.
func (s *Service) sweep(ctx context.Context, tg *target, t *tally, start time.Time) error {
	var due []*envelope.Record
	staleBefore := start.Add(-tg.sched.StaleAfter.D())
	err := s.cfg.Records.Scan(ctx, tg.tenant, func(rec *envelope.Record) {
		switch {
		case rec.Provider != tg.kind, t.seen[rec.EnvelopeID]:
		case rec.Conflict:
			due = append(due, rec)
		case rec.State.Terminal():
		case tg.apis().lister == nil || rec.UpdatedAt.Before(staleBefore):
			due = append(due, rec)
		}
	})
	if err != nil {
		return err
	}
	return forEach(ctx, s.cfg.Concurrency, due, func(ctx context.Context, rec *envelope.Record) error {
		st, ok, err := s.status(ctx, tg, rec.EnvelopeID)
		if err != nil || !ok {
			return err
		}
		return s.settle(ctx, tg, t, rec, st)
	})
}

// settle publishes the events that bring rec to st.
func (s *Service) settle(ctx context.Context, tg *target, t *tally, rec *envelope.Record, st providers.Status) error {
	// Without a provider time, the record's last update dates the events:
	// the change happened after it, and the same record yields the same
	// ids on every poll until the events are applied.
	fallback := s.cfg.Now()
	if rec != nil && !rec.UpdatedAt.IsZero() {
		fallback = rec.UpdatedAt
	}
	evs := checked(s.log, tg, drift.Events(rec, st, tg.tenant, tg.kind, fallback))
	if len(evs) == 0 {
		t.add(1, 0, time.Time{})
		return nil
	}
	if err := s.cfg.Publisher.Publish(ctx, evs); err != nil {
		return err
	}
	changedAt := st.ChangedAt
	if changedAt.IsZero() {
		changedAt = fallback
	}
	s.log.DebugContext(ctx, "reconciler: drift", "tenant", tg.tenant, "provider", tg.kind,
		"envelope_id", st.EnvelopeID, "provider_state", string(st.State), "events", len(evs))
	t.add(1, len(evs), changedAt)
	return nil
}

// checked drops events with a field that cannot become a subject or key
// (envelope.Event.Check): whatever a provider's API answers, one odd id
// must neither break the NATS connection nor stop the round for the rest.
func checked(log *slog.Logger, tg *target, evs []envelope.Event) []envelope.Event {
	out := evs[:0]
	for _, ev := range evs {
		if err := ev.Check(); err != nil {
			log.Warn("reconciler: provider API named an event that cannot be carried; skipped",
				"tenant", tg.tenant, "provider", tg.kind, "reason", err.Error())
			continue
		}
		out = append(out, ev)
	}
	return out
}

// forEach calls fn for every item, n at a time, and returns the first
// error (the remaining items are then skipped).
func forEach[T any](ctx context.Context, n int, items []T, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan T)
	var wg sync.WaitGroup
	for range min(n, len(items)) {
		wg.Go(func() {
			for it := range work {
				if err := fn(ctx, it); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, it := range items {
		select {
		case work <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}
