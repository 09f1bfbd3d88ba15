package dmsexport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// errAwaitLedger: exported is published but not yet on the ledger.
var errAwaitLedger = errors.New("dmsexport: waiting for exported on the ledger before purging")

// purge deletes the documents at the provider, at most once per export,
// and only after every artefact is stored and verified (run gets here
// only with the manifest written) and exported is on the ledger (so the
// ledger says exported before purged).
//
// At most once: PurgeStartedAt is written (by compare-and-set) before the
// delete is called, and an attempt that finds it set never calls again.
// A crash, a timeout or a cut connection between the marker and a recorded
// answer therefore leaves an export whose purge outcome is unknown —
// reported as such in the record's error, for an operator to check at the
// provider — rather than a second delete. The other order (call, then
// write a marker) would call again after a crash in between. An answer
// that says the provider did nothing (any non-2xx) clears the marker, so
// the purge is retried on the next delivery; the API client itself retries
// only 429 and 503 here (answers that mean "not processed"), never a
// request whose answer was lost.
func (s *Service) purge(ctx context.Context, client providers.DocumentClient, rec *Record, exported envelope.Event) (string, error) {
	if rec.PurgedAt != nil {
		// Recorded; publish again in case the last attempt stopped
		// before it did (the event id makes this a no-op otherwise).
		return "exported", s.publishPurged(ctx, rec)
	}
	if rec.PurgeStartedAt != nil {
		if !rec.PurgeSettled {
			if _, err := s.records.update(ctx, rec.Tenant, rec.EnvelopeID, func(r *Record) error {
				r.PurgeSettled = true
				r.Error = "purge: outcome unknown (an earlier attempt was interrupted after calling the provider); not repeated — check at the provider"
				return nil
			}); err != nil {
				return "", failAt(stageRecord, "", err)
			}
			s.metrics.purges.WithLabelValues(rec.Provider, "unknown").Inc()
		}
		return "exported", nil
	}
	// statesync applies exported within milliseconds when it keeps up;
	// wait for it here a while (the worker keeps the message alive), then
	// hand the job back, so a pipeline behind by minutes delays the purge
	// instead of dead-lettering it.
	for waited := time.Duration(0); ; waited += LedgerWait {
		ok, err := onLedger(ctx, s.cfg.JS, exported)
		if err != nil {
			return "", failAt(stagePurge, "", err)
		}
		if ok {
			break
		}
		if waited >= LedgerMaxWait {
			return "", failAt(stagePurge, "", bus.Retry(errAwaitLedger, LedgerMaxWait))
		}
		select {
		case <-ctx.Done():
			return "", failAt(stagePurge, "", ctx.Err())
		case <-time.After(LedgerWait):
		}
	}
	now := s.cfg.Now().UTC()
	rec, err := s.records.update(ctx, rec.Tenant, rec.EnvelopeID, func(r *Record) error {
		if r.PurgeStartedAt != nil {
			return errPurgeRace
		}
		r.PurgeStartedAt = &now
		return nil
	})
	if errors.Is(err, errPurgeRace) {
		return "exported", nil // another replica is purging
	}
	if err != nil {
		return "", failAt(stageRecord, "", err)
	}
	perr := client.Purge(ctx, rec.EnvelopeID)
	var se *apiclient.StatusError
	switch {
	case perr == nil:
		done := s.cfg.Now().UTC()
		if rec, err = s.records.update(ctx, rec.Tenant, rec.EnvelopeID, func(r *Record) error {
			r.PurgedAt, r.PurgeSettled = &done, true
			r.Error = ""
			return nil
		}); err != nil {
			// The delete happened; the marker stops a second one, and
			// this record write is retried through the next delivery.
			return "", failAt(stageRecord, "", err)
		}
		s.metrics.purges.WithLabelValues(rec.Provider, "purged").Inc()
		return "exported", s.publishPurged(ctx, rec)
	case errors.Is(perr, providers.ErrPurgeUnsupported):
		_, err = s.records.update(ctx, rec.Tenant, rec.EnvelopeID, func(r *Record) error {
			r.PurgeSettled = true
			r.Error = "purge unsupported by " + r.Provider
			return nil
		})
		s.metrics.purges.WithLabelValues(rec.Provider, "unsupported").Inc()
		return "exported", failAt(stageRecord, "", err)
	case errors.As(perr, &se):
		// The provider answered and did nothing: clear the marker, retry.
		_, err = s.records.update(ctx, rec.Tenant, rec.EnvelopeID, func(r *Record) error {
			r.PurgeStartedAt = nil
			return nil
		})
		s.metrics.purges.WithLabelValues(rec.Provider, "refused").Inc()
		return "", failAt(stagePurge, "", errors.Join(perr, err))
	default:
		// No answer: the delete may have happened. Never call again.
		_, err = s.records.update(ctx, rec.Tenant, rec.EnvelopeID, func(r *Record) error {
			r.PurgeSettled = true
			r.Error = fmt.Sprintf("purge: outcome unknown (%v); not repeated — check at the provider", perr)
			return nil
		})
		s.metrics.purges.WithLabelValues(rec.Provider, "unknown").Inc()
		return "exported", failAt(stageRecord, "", err)
	}
}

var errPurgeRace = errors.New("dmsexport: purge already started")

func (s *Service) publishPurged(ctx context.Context, rec *Record) error {
	ev := auditEvent(rec, envelope.TypePurged, *rec.PurgedAt, map[string]string{"provider": rec.Provider})
	return failAt(stagePublish, "", publishEvent(ctx, s.cfg.JS, ev))
}
