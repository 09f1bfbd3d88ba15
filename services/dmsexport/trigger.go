package dmsexport

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
)

// enqueue handles one completed (or corrected) ledger entry: for an
// envelope that completed at a provider countersign can download from, it
// records a pending export and queues its job. Voided, declined and
// expired envelopes never get here (the consumer only sees completed and
// corrected entries, and a corrected one counts only when it says
// completed). A duplicate completed entry, or a redelivery, finds the
// record and queues nothing new: the job's Nats-Msg-Id dedupes a repeat
// within the window, and the worker acks a job whose export is done.
func (s *Service) enqueue(ctx context.Context, m *bus.Message) error {
	var e envelope.Entry
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return bus.Permanent(fmt.Errorf("decode ledger entry: %w", err))
	}
	if e.Type != envelope.TypeCompleted && (e.Type != envelope.TypeCorrected || e.State != envelope.StateCompleted) {
		return nil
	}
	tn := s.tenant(e.Tenant)
	if tn == nil || tn.clients[e.Provider] == nil {
		return nil // no API to download from
	}
	rec, err := s.records.create(ctx, &Record{
		Job: Job{
			Tenant: e.Tenant, Provider: e.Provider, EnvelopeID: e.EnvelopeID,
			CompletedSeq: e.Seq, CompletedAt: e.OccurredAt,
		},
		State:    exportapi.StatePending,
		QueuedAt: s.cfg.Now().UTC(),
	})
	if err != nil {
		return err
	}
	if rec.State != exportapi.StatePending {
		return nil // exported or failed already; POST …/export runs it again
	}
	// The stored record's job, not this entry's: a record created by an
	// earlier completion (or a POST) fixes the snapshot.
	return s.queue(ctx, rec.Job)
}

// queue publishes j on EXPORT and waits for the ack.
func (s *Service) queue(ctx context.Context, j Job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("dmsexport: encode job: %w", err)
	}
	msg := nats.NewMsg(jobSubject(j.Tenant, j.EnvelopeID))
	msg.Data = data
	msg.Header.Set(bus.HeaderTenant, j.Tenant)
	msg.Header.Set(bus.HeaderEnvelope, j.EnvelopeID)
	msg.Header.Set(bus.HeaderProvider, j.Provider)
	if _, err := s.cfg.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(jobMsgID(j))); err != nil {
		return fmt.Errorf("dmsexport: queue export of %s/%s: %w", j.Tenant, j.EnvelopeID, err)
	}
	return nil
}
