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

// handle applies one event. Invalid events are permanent (DLQ); a lost
// CAS race is retried here and, past casAttempts, transient.
func (s *Service) handle(ctx context.Context, m *bus.Message) error {
	ev, err := DecodeEvent(m.Data)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < casAttempts; attempt++ {
		err := s.applyOnce(ctx, ev)
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
// outbox, applies ev, writes the record by CAS (its outbox holding only
// ev's entry) and publishes that entry. The entry stays in the outbox
// until the next writer settles it: that saves a second write per event,
// and settling checks the stream itself rather than trusting the
// duplicate window. A duplicate (ev already applied) only settles.
func (s *Service) applyOnce(ctx context.Context, ev envelope.Event) error {
	key := envelope.RecordKey(ev.Tenant, ev.EnvelopeID)
	c, ok := s.cache.get(key)
	if !ok {
		rec, rev, err := s.records.Get(ctx, ev.Tenant, ev.EnvelopeID)
		if err != nil {
			return err
		}
		c = cached{rec: rec, rev: rev}
	}
	if err := s.settle(ctx, c.rec.Outbox, c.published); err != nil {
		return err
	}
	next, entry, err := envelope.Apply(c.rec, ev, s.cfg.Now())
	if err != nil {
		return bus.Permanent(err)
	}
	if entry == nil {
		return nil
	}
	next.AckOutbox(entry.Seq - 1) // settled above
	rev, err := s.records.Put(ctx, ev.Tenant, ev.EnvelopeID, next, c.rev)
	if err != nil {
		s.cache.drop(key)
		return err
	}
	s.cache.put(key, cached{rec: next, rev: rev, published: entry.Seq - 1})
	s.metrics.entries.WithLabelValues(string(entry.Type)).Inc()
	if entry.Type == envelope.TypeConflict {
		s.metrics.conflicts.Inc()
		s.cfg.Logger.Warn("conflicting terminal events", "tenant", ev.Tenant, "envelope", ev.EnvelopeID,
			"state", string(c.rec.State), "event", ev.ID, "type", string(ev.Type))
	}
	if err := s.ledger.Publish(ctx, []envelope.Entry{*entry}); err != nil {
		return err
	}
	s.cache.put(key, cached{rec: next, rev: rev, published: entry.Seq})
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
