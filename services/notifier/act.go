package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/services/notifier/internal/playbook"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/notify"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// Via values of reminder_sent's detail.
const (
	viaProvider = "provider"
	viaChannels = "channels"
)

// handleJob runs one NOTIFY job: a channel delivery (notify.send.>), or
// a fired timer or queued action (notify.timer.>, notify.act.>).
func (s *Service) handleJob(ctx context.Context, m *bus.Message) error {
	if strings.HasPrefix(m.Subject, notify.SendPrefix) {
		return s.deliver.Handle(ctx, m)
	}
	var j playbook.Job
	if err := json.Unmarshal(m.Data, &j); err != nil || j.Tenant == "" || j.EnvelopeID == "" {
		return bus.Permanent(fmt.Errorf("notifier: malformed job on %s", m.Subject))
	}
	return s.act(ctx, j)
}

// act does what job j says if it still applies: the provider call, the
// channel notifications, and last the audit events through STATE. A
// failure before the audit events are stored leaves the job to be
// redelivered; the notifications carry the same ids again, and the audit
// events' ids make statesync record them once.
func (s *Service) act(ctx context.Context, j playbook.Job) error {
	now := s.cfg.Now()
	n := s.playbook(j.Tenant)
	rec, err := s.record(ctx, j.Tenant, j.EnvelopeID)
	if err != nil {
		return err
	}
	if why := playbook.Check(n, j, rec, now); why != "" {
		s.metrics.skipped.WithLabelValues(j.Kind, why).Inc()
		s.log.Debug("notifier: job skipped", "tenant", j.Tenant, "envelope", j.EnvelopeID, "kind", j.Kind, "n", j.N, "why", why)
		return nil
	}
	if j.Recipient.Key() != "" {
		// The job may predate what the record learnt of the recipient
		// (its id, its email): act on the record's view.
		if rc, ok := rec.Recipient(j.Recipient); ok {
			j.Recipient = envelope.RecipientRef{ID: rc.ID, Email: rc.Email}
		}
	}
	if j.Kind == playbook.KindRemind {
		paused, err := s.paused(ctx, j.Tenant)
		if err != nil {
			return err
		}
		if paused {
			s.metrics.skipped.WithLabelValues(j.Kind, "paused").Inc()
			return nil
		}
	}
	var events []envelope.Event
	audit := func(t envelope.Type, detail map[string]string) {
		r := j.Recipient
		ev := envelope.Event{
			ID: j.EventID(t), Tenant: j.Tenant, Provider: j.Provider, EnvelopeID: j.EnvelopeID,
			Type: t, OccurredAt: now.UTC(), Source: envelope.SourceNotifier, Detail: envelope.Detail(detail),
		}
		if r.Key() != "" {
			ev.Recipient = &r
		}
		events = append(events, ev)
	}
	note := notify.Notification{
		ID: "msg_" + j.EventID(j.Audit()), Timestamp: now.UTC(),
		Data: notify.Data{Tenant: j.Tenant, Provider: j.Provider, EnvelopeID: j.EnvelopeID},
	}
	if j.Recipient.Key() != "" {
		note.Data.Recipient = &notify.Recipient{ID: j.Recipient.ID, Email: j.Recipient.Email}
	}
	switch {
	case j.Kind == playbook.KindRemind:
		via, err := s.remind(ctx, j)
		if err != nil {
			return err
		}
		note.Type, note.Data.Reminder = notify.TypeReminderDue, j.N
		audit(envelope.TypeReminderSent, map[string]string{"via": via, "reminder": fmt.Sprint(j.N)})
		s.metrics.reminders.WithLabelValues(j.Tenant, j.Provider, via).Inc()
	case j.Kind == playbook.KindExpiry:
		note.Type, note.Data.Reason = notify.TypeExpiryWarning, "expires at "+j.Due.Add(n.ExpiryWarning.D()).Format(time.RFC3339)
		audit(envelope.TypeExpiryWarning, map[string]string{"expires_at": j.Due.Add(n.ExpiryWarning.D()).Format(time.RFC3339)})
	default:
		note.Type, note.Data.Reason = notify.TypeEscalation, j.Kind
		audit(envelope.TypeEscalated, map[string]string{"reason": j.Kind})
		s.metrics.escalations.WithLabelValues(j.Tenant, j.Provider, j.Kind).Inc()
		if to := playbook.Alternate(n, j); to != "" {
			replaced, err := s.replace(ctx, j, to)
			if err != nil {
				return err
			}
			if replaced {
				note.Data.Reason += "; replaced by " + to
				audit(envelope.TypeRecipientReplaced, map[string]string{"from": j.Recipient.Email, "to": to})
				s.metrics.replacements.WithLabelValues(j.Tenant, j.Provider).Inc()
			}
		}
	}
	if _, err := notify.Enqueue(ctx, s.cfg.JS, n.Channels, note); err != nil {
		return err
	}
	if err := s.publishAudit(ctx, events); err != nil {
		return err
	}
	if j.Kind == playbook.KindRemind || j.Kind == playbook.KindUnsigned || j.Kind == playbook.KindExpiry {
		s.metrics.lateness.WithLabelValues(j.Kind).Observe(now.Sub(j.Due).Seconds())
	}
	return nil
}

// remind asks the provider to remind the recipient where its API can;
// "channels" when it cannot (no api:, no reminder call, or the provider
// refused for that recipient) — the channels announce it either way.
func (s *Service) remind(ctx context.Context, j playbook.Job) (string, error) {
	r, ok := s.api(j.Tenant, j.Provider).(providers.Reminder)
	if !ok {
		return viaChannels, nil
	}
	err := r.Remind(ctx, j.EnvelopeID, j.Recipient)
	switch {
	case err == nil:
		return viaProvider, nil
	case permanentAPI(err):
		s.log.Warn("notifier: provider reminder refused, channels only", "tenant", j.Tenant,
			"envelope", j.EnvelopeID, "provider", j.Provider, "err", err)
		return viaChannels, nil
	}
	return "", fmt.Errorf("notifier: remind %s/%s: %w", j.Tenant, j.EnvelopeID, err)
}

// replace puts the alternate in the recipient's place at the provider and
// cancels the recipient's timers; false when the provider cannot (the
// escalation goes out without it).
func (s *Service) replace(ctx context.Context, j playbook.Job, to string) (bool, error) {
	r, ok := s.api(j.Tenant, j.Provider).(providers.Replacer)
	if !ok {
		return false, nil
	}
	err := r.Replace(ctx, j.EnvelopeID, j.Recipient, to)
	switch {
	case err == nil:
	case permanentAPI(err):
		s.log.Warn("notifier: provider refused the replacement", "tenant", j.Tenant,
			"envelope", j.EnvelopeID, "provider", j.Provider, "err", err)
		return false, nil
	default:
		return false, fmt.Errorf("notifier: replace at %s/%s: %w", j.Tenant, j.EnvelopeID, err)
	}
	filter := bus.TimerFilter(j.Tenant, envelope.Token(j.EnvelopeID), j.RecipientToken())
	if err := bus.CancelTimers(ctx, s.cfg.JS, filter); err != nil {
		return false, err
	}
	return true, nil
}

// permanentAPI reports whether a provider call failed for good: the
// envelope is gone, the recipient cannot be named, or a 4xx other than
// 408/429 (which the API client retried already).
func permanentAPI(err error) bool {
	if errors.Is(err, providers.ErrNotFound) || errors.Is(err, providers.ErrCannotAct) {
		return true
	}
	var se *apiclient.StatusError
	if errors.As(err, &se) {
		return se.Code >= 400 && se.Code < 500 && se.Code != 408 && se.Code != 429
	}
	return false
}

// publishAudit publishes audit events to STATE like the verifier does
// (Nats-Msg-Id = event id), and waits for every ack.
func (s *Service) publishAudit(ctx context.Context, evs []envelope.Event) error {
	for _, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			return bus.Permanent(fmt.Errorf("notifier: encode event: %w", err))
		}
		msg := nats.NewMsg(bus.StateSubject(ev.Tenant, envelope.Token(ev.EnvelopeID)))
		msg.Data = data
		msg.Header.Set(bus.HeaderTenant, ev.Tenant)
		msg.Header.Set(bus.HeaderEnvelope, ev.EnvelopeID)
		msg.Header.Set(bus.HeaderProvider, ev.Provider)
		if _, err := s.cfg.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID)); err != nil {
			return fmt.Errorf("notifier: record %s: %w", ev.Type, err)
		}
	}
	return nil
}
