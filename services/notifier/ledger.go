package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/services/notifier/internal/playbook"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// handleEntry turns one ledger entry into timers set, timers cancelled and
// actions queued. Every step is idempotent (a timer already pending or
// done is not set again; cancelling twice purges nothing; queued actions
// carry a Nats-Msg-Id and check at run time), so a redelivered entry, or
// the whole ledger replayed into a fresh consumer, changes nothing twice.
func (s *Service) handleEntry(ctx context.Context, m *bus.Message) error {
	var e envelope.Entry
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return bus.Permanent(fmt.Errorf("notifier: ledger entry %s: %w", m.Subject, err))
	}
	if err := s.observe(ctx, e); err != nil {
		return err
	}
	n := s.playbook(e.Tenant)
	if n == nil || e.Type.IsAudit() {
		return nil
	}
	rec, err := s.record(ctx, e.Tenant, e.EnvelopeID)
	if err != nil {
		return err
	}
	var expiresAt time.Time
	if e.Type == envelope.TypeSent && n.ExpiryWarning > 0 {
		if expiresAt, err = s.expiry(ctx, e); err != nil {
			return err
		}
	}
	plan := playbook.PlanEntry(n, e, rec, expiresAt)
	tok := envelope.Token(e.EnvelopeID)
	if plan.CancelEnvelope {
		if err := bus.CancelTimers(ctx, s.cfg.JS, bus.TimerFilter(e.Tenant, tok, "")); err != nil {
			return err
		}
	}
	if r := plan.CancelRecipient; r != nil {
		j := playbook.Job{Recipient: *r}
		if err := bus.CancelTimers(ctx, s.cfg.JS, bus.TimerFilter(e.Tenant, tok, j.RecipientToken())); err != nil {
			return err
		}
	}
	for _, j := range plan.Now {
		if err := s.queue(ctx, j); err != nil {
			return err
		}
	}
	for _, j := range plan.Schedule {
		if err := s.schedule(ctx, j, rec); err != nil {
			return err
		}
	}
	return nil
}

// schedule sets j's timer unless its action is done, its recipient or
// envelope is done, or a timer for it is pending already (so a replayed
// entry does not move a timer set by the first).
func (s *Service) schedule(ctx context.Context, j playbook.Job, rec *envelope.Record) error {
	if rec != nil {
		if rec.HasApplied(j.EventID(j.Audit())) || rec.State.Terminal() {
			return nil
		}
		if rc, ok := rec.Recipient(j.Recipient); ok && playbook.Done(rc.State) {
			return nil
		}
	}
	subj := j.TimerSubject()
	_, err := s.notify.GetLastMsgForSubject(ctx, subj)
	switch {
	case err == nil:
		return nil // pending already
	case !errors.Is(err, jetstream.ErrMsgNotFound):
		return fmt.Errorf("notifier: timer %s: %w", subj, err)
	}
	body, err := json.Marshal(j)
	if err != nil {
		return bus.Permanent(fmt.Errorf("notifier: encode job: %w", err))
	}
	if err := bus.ScheduleTimer(ctx, s.cfg.JS, subj, j.Due, body, jobHeader(j), subj+"@"+j.Due.Format(time.RFC3339)); err != nil {
		return err
	}
	s.metrics.timers.WithLabelValues(j.Kind).Inc()
	return nil
}

// queue puts j, due now, on the NOTIFY work queue.
func (s *Service) queue(ctx context.Context, j playbook.Job) error {
	body, err := json.Marshal(j)
	if err != nil {
		return bus.Permanent(fmt.Errorf("notifier: encode job: %w", err))
	}
	msg := nats.NewMsg(j.ActSubject())
	msg.Data = body
	msg.Header = jobHeader(j)
	if _, err := s.cfg.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(j.ActSubject())); err != nil {
		return fmt.Errorf("notifier: queue %s: %w", j.ActSubject(), err)
	}
	return nil
}

func jobHeader(j playbook.Job) nats.Header {
	h := nats.Header{}
	h.Set(bus.HeaderTenant, j.Tenant)
	h.Set(bus.HeaderEnvelope, j.EnvelopeID)
	return h
}

// record reads an envelope's record (nil when there is none yet).
func (s *Service) record(ctx context.Context, tenant, envelopeID string) (*envelope.Record, error) {
	kve, err := s.records.Get(ctx, envelope.RecordKey(tenant, envelopeID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("notifier: record %s/%s: %w", tenant, envelopeID, err)
	}
	var rec envelope.Record
	if err := json.Unmarshal(kve.Value(), &rec); err != nil {
		return nil, bus.Permanent(fmt.Errorf("notifier: record %s/%s: %w", tenant, envelopeID, err))
	}
	return &rec, nil
}

// expiry asks the provider when the envelope expires, where its API says.
func (s *Service) expiry(ctx context.Context, e envelope.Entry) (time.Time, error) {
	ex, ok := s.api(e.Tenant, e.Provider).(providers.Expirer)
	if !ok {
		return time.Time{}, nil
	}
	at, err := ex.ExpiresAt(ctx, e.EnvelopeID)
	if errors.Is(err, providers.ErrNotFound) {
		return time.Time{}, nil
	}
	return at, err
}
