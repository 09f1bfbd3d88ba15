package dmsexport

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
	"github.com/countersign/countersign/shared/service"
)

// Endpoints are the service's request endpoints (shared/service): an
// envelope's export status, and exporting it (again).
func (s *Service) Endpoints() []service.Endpoint {
	return []service.Endpoint{
		{Name: service.EndpointExportStatus, Handle: s.handle(s.status)},
		{Name: service.EndpointExport, Handle: s.handle(s.rerun)},
	}
}

// handle decodes and checks the request, then asks f.
func (s *Service) handle(f func(context.Context, exportapi.Request) (exportapi.Status, error)) service.HandlerFunc {
	return func(ctx context.Context, data []byte) (any, error) {
		var r exportapi.Request
		if err := service.DecodeJSON(data, &r); err != nil {
			return nil, err
		}
		if !envelope.ValidTenant(r.Tenant) || r.EnvelopeID == "" {
			return nil, service.BadRequest("tenant and envelope_id are required")
		}
		return f(ctx, r)
	}
}

// status answers an envelope's export.
func (s *Service) status(ctx context.Context, req exportapi.Request) (exportapi.Status, error) {
	rec, _, err := s.records.get(ctx, req.Tenant, req.EnvelopeID)
	if err != nil {
		return exportapi.Status{}, unavailable(err)
	}
	if rec == nil {
		return exportapi.Status{}, service.NotFound("not exported: no export of this envelope (exports start when it completes at a provider with api:)")
	}
	return rec.Status(), nil
}

// unavailable is a storage failure as an endpoint answer.
func unavailable(err error) error {
	return service.Unavailable("export records unavailable: "+err.Error(), 5*time.Second)
}

// rerun queues the envelope's export again (POST): a new run, with the
// same keys and the same bytes; artefacts the target still holds
// byte-exact are not downloaded again. An envelope never exported is
// queued from its completing ledger entry.
func (s *Service) rerun(ctx context.Context, req exportapi.Request) (exportapi.Status, error) {
	rec, _, err := s.records.get(ctx, req.Tenant, req.EnvelopeID)
	if err != nil {
		return exportapi.Status{}, unavailable(err)
	}
	if rec == nil {
		job, err := s.jobFromLedger(ctx, req)
		if err != nil {
			return exportapi.Status{}, err
		}
		if rec, err = s.records.create(ctx, &Record{Job: job, State: exportapi.StatePending, QueuedAt: s.cfg.Now().UTC()}); err != nil {
			return exportapi.Status{}, unavailable(err)
		}
	} else {
		rec, err = s.records.update(ctx, req.Tenant, req.EnvelopeID, func(r *Record) error {
			r.Run++
			r.State = exportapi.StatePending
			r.Error = ""
			r.QueuedAt = s.cfg.Now().UTC()
			return nil
		})
		if err != nil {
			return exportapi.Status{}, unavailable(err)
		}
	}
	if err := s.queue(ctx, rec.Job); err != nil {
		return exportapi.Status{}, unavailable(err)
	}
	return rec.Status(), nil
}

// jobFromLedger builds the job of an envelope from its completing entry
// on the ledger, or says why there is none (HTTP code and message).
func (s *Service) jobFromLedger(ctx context.Context, req exportapi.Request) (Job, error) {
	tn := s.tenant(req.Tenant)
	if tn == nil {
		return Job{}, service.NotFound("not exported: no provider of this tenant has api: to download from")
	}
	stream, err := s.cfg.JS.Stream(ctx, bus.StreamEnvelopes)
	if err != nil {
		return Job{}, unavailable(err)
	}
	for _, t := range []envelope.Type{envelope.TypeCompleted, envelope.TypeCorrected} {
		msg, err := stream.GetLastMsgForSubject(ctx, envelope.Subject(req.Tenant, req.EnvelopeID, t))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return Job{}, unavailable(err)
		}
		var e envelope.Entry
		if err := json.Unmarshal(msg.Data, &e); err != nil || e.State != envelope.StateCompleted {
			continue
		}
		if tn.clients[e.Provider] == nil {
			return Job{}, conflict("not exported: provider " + e.Provider + " has no api: to download from")
		}
		return Job{Tenant: e.Tenant, Provider: e.Provider, EnvelopeID: e.EnvelopeID, CompletedSeq: e.Seq, CompletedAt: e.OccurredAt}, nil
	}
	return Job{}, conflict("not exported: the envelope is not completed (only completed envelopes are exported)")
}

func conflict(msg string) error { return &service.Error{Status: http.StatusConflict, Message: msg} }
