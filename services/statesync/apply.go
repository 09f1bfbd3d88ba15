package statesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// casAttempts is how often one delivery retries a write that lost a race
// with another writer of the same envelope before handing the message
// back for redelivery.
const casAttempts = 16

// burst bounds the events of one envelope applied in one record write.
const burst = 16

// handle applies one event — and with it the events of the same envelope
// queued behind it in its lane (bus.Message.Following), so a burst costs
// one record write and one publish of every entry; each of those comes
// to handle in turn and is then a duplicate that only settles. Invalid
// events are permanent (DLQ); a lost CAS race is retried here and, past
// casAttempts, transient.
func (s *Service) handle(ctx context.Context, m *bus.Message) error {
	ev, err := DecodeEvent(m.Data)
	if err != nil {
		return err
	}
	evs := []envelope.Event{ev}
	for _, f := range m.Following(burst - 1) {
		next, err := DecodeEvent(f.Data)
		if err != nil || next.Tenant != ev.Tenant || next.EnvelopeID != ev.EnvelopeID {
			break // its own turn settles it
		}
		evs = append(evs, next)
	}
	for attempt := 0; attempt < casAttempts; attempt++ {
		err := s.applyOnce(ctx, evs)
		if !errors.Is(err, bus.ErrRecordChanged) {
			return err
		}
		s.metrics.casRetry.Inc()
	}
	return bus.Retry(bus.ErrRecordChanged, 50*time.Millisecond)
}

// DecodeEvent reads a STATE message's event. An undecodable event, or one
// with a field that cannot become a subject or key, is permanent (DLQ);
// the error names the reason, never the content.
func DecodeEvent(data []byte) (envelope.Event, error) {
	var ev envelope.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, bus.Permanent(fmt.Errorf("decode event: %s", providers.Reason(err)))
	}
	if err := ev.Check(); err != nil {
		return ev, bus.Permanent(fmt.Errorf("event: %w", err))
	}
	return ev, nil
}

// applyOnce reads the record (or takes the one this process last wrote,
// see recordCache), settles what a predecessor may have left in the
// outbox, applies evs in order, writes the record by CAS (its outbox
// holding only their entries) and publishes those entries. The entries
// stay in the outbox until the next writer settles them: that saves a
// second write per event, and settling checks the stream itself rather
// than trusting the duplicate window. Events already applied add nothing;
// evs[0] failing is its message's error, a later one failing ends the
// burst before it (its own turn meets the error).
func (s *Service) applyOnce(ctx context.Context, evs []envelope.Event) error {
	first := evs[0]
	key := envelope.RecordKey(first.Tenant, first.EnvelopeID)
	c, ok := s.cache.get(key)
	if !ok {
		rec, rev, err := s.records.Get(ctx, first.Tenant, first.EnvelopeID)
		if err != nil {
			return err
		}
		c = cached{rec: rec, rev: rev}
	}
	if err := s.settle(ctx, c.rec.Outbox, c.published); err != nil {
		return err
	}
	rec, now := c.rec, s.cfg.Now()
	var entries []envelope.Entry
	for i, ev := range evs {
		next, entry, err := envelope.Apply(rec, ev, now)
		if err != nil {
			if i == 0 {
				return bus.Permanent(err)
			}
			break
		}
		rec = next
		if entry != nil {
			entries = append(entries, *entry)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	rec.AckOutbox(entries[0].Seq - 1) // settled above
	rev, err := s.records.Put(ctx, first.Tenant, first.EnvelopeID, rec, c.rev)
	if err != nil {
		s.cache.drop(key)
		return err
	}
	s.cache.put(key, cached{rec: rec, rev: rev, published: entries[0].Seq - 1})
	for _, e := range entries {
		s.metrics.entries.WithLabelValues(string(e.Type)).Inc()
		if e.Type == envelope.TypeConflict {
			s.metrics.conflicts.Inc()
			s.cfg.Logger.Warn("conflicting terminal events", "tenant", e.Tenant, "envelope", e.EnvelopeID,
				"event", e.ID, "state", string(rec.State))
		}
	}
	if err := s.ledger.Publish(ctx, entries); err != nil {
		return err
	}
	s.cache.put(key, cached{rec: rec, rev: rev, published: entries[len(entries)-1].Seq})
	return nil
}

// settle makes sure every entry of an outbox read from the record is on
// ENVELOPES: an entry is published unless the stream already holds it or
// a later entry of its subject (outboxes are published in order). A
// crash before the publish is repaired here, and one after it costs a
// read, never a second ledger entry, however long ago it happened.
// Entries up to seq published were acknowledged to this process already.
func (s *Service) settle(ctx context.Context, outbox []envelope.Entry, published uint64) error {
	var owed []envelope.Entry
	for _, e := range outbox {
		if e.Seq <= published {
			continue
		}
		published, err := s.ledger.Holds(ctx, e)
		if err != nil {
			return err
		}
		if !published {
			owed = append(owed, e)
		}
	}
	return s.ledger.Publish(ctx, owed)
}
