package dmsexport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
)

// serveAPI answers exportapi.SubjectStatus and SubjectRun as a NATS micro
// service (queue group: any replica answers) until ctx is done.
func (s *Service) serveAPI(ctx context.Context) error {
	svc, err := micro.AddService(s.cfg.NC, micro.Config{
		Name: exportapi.ServiceName, Version: "1.0.0",
		Description: "countersign DMS export: export status and re-export",
	})
	if err != nil {
		return fmt.Errorf("dmsexport: micro service: %w", err)
	}
	defer svc.Stop()
	for _, ep := range []struct {
		name, subject string
		f             func(context.Context, exportapi.Request) exportapi.Reply
	}{
		{"status", exportapi.SubjectStatus, s.status},
		{"run", exportapi.SubjectRun, s.rerun},
	} {
		f := ep.f
		h := micro.HandlerFunc(func(req micro.Request) {
			var r exportapi.Request
			reply := exportapi.Reply{Code: http.StatusBadRequest, Error: "bad request"}
			if json.Unmarshal(req.Data(), &r) == nil && envelope.ValidTenant(r.Tenant) && r.EnvelopeID != "" {
				reply = f(ctx, r)
			}
			_ = req.RespondJSON(reply)
		})
		if err := svc.AddEndpoint(ep.name, h, micro.WithEndpointSubject(ep.subject)); err != nil {
			return fmt.Errorf("dmsexport: endpoint %s: %w", ep.name, err)
		}
	}
	<-ctx.Done()
	return nil
}

// status answers an envelope's export.
func (s *Service) status(ctx context.Context, req exportapi.Request) exportapi.Reply {
	rec, _, err := s.records.get(ctx, req.Tenant, req.EnvelopeID)
	if err != nil {
		return exportapi.Reply{Code: http.StatusServiceUnavailable, Error: err.Error()}
	}
	if rec == nil {
		return exportapi.Reply{Code: http.StatusNotFound, Error: "no export of this envelope (exports start when it completes at a provider with api:)"}
	}
	st := rec.Status()
	return exportapi.Reply{Status: &st}
}

// rerun queues the envelope's export again (POST): a new run, with the
// same keys and the same bytes; artefacts the target still holds
// byte-exact are not downloaded again. An envelope never exported is
// queued from its completing ledger entry.
func (s *Service) rerun(ctx context.Context, req exportapi.Request) exportapi.Reply {
	rec, _, err := s.records.get(ctx, req.Tenant, req.EnvelopeID)
	if err != nil {
		return exportapi.Reply{Code: http.StatusServiceUnavailable, Error: err.Error()}
	}
	if rec == nil {
		job, code, msg := s.jobFromLedger(ctx, req)
		if code != 0 {
			return exportapi.Reply{Code: code, Error: msg}
		}
		if rec, err = s.records.create(ctx, &Record{Job: job, State: exportapi.StatePending, QueuedAt: s.cfg.Now().UTC()}); err != nil {
			return exportapi.Reply{Code: http.StatusServiceUnavailable, Error: err.Error()}
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
			return exportapi.Reply{Code: http.StatusServiceUnavailable, Error: err.Error()}
		}
	}
	if err := s.queue(ctx, rec.Job); err != nil {
		return exportapi.Reply{Code: http.StatusServiceUnavailable, Error: err.Error()}
	}
	st := rec.Status()
	return exportapi.Reply{Status: &st}
}

// jobFromLedger builds the job of an envelope from its completing entry
// on the ledger, or says why there is none (HTTP code and message).
func (s *Service) jobFromLedger(ctx context.Context, req exportapi.Request) (Job, int, string) {
	tn := s.tenants[req.Tenant]
	if tn == nil {
		return Job{}, http.StatusNotFound, "no export configured for this tenant (no provider with api:)"
	}
	stream, err := s.cfg.JS.Stream(ctx, bus.StreamEnvelopes)
	if err != nil {
		return Job{}, http.StatusServiceUnavailable, err.Error()
	}
	for _, t := range []envelope.Type{envelope.TypeCompleted, envelope.TypeCorrected} {
		msg, err := stream.GetLastMsgForSubject(ctx, envelope.Subject(req.Tenant, req.EnvelopeID, t))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return Job{}, http.StatusServiceUnavailable, err.Error()
		}
		var e envelope.Entry
		if err := json.Unmarshal(msg.Data, &e); err != nil || e.State != envelope.StateCompleted {
			continue
		}
		if tn.clients[e.Provider] == nil {
			return Job{}, http.StatusConflict, "provider " + e.Provider + " has no api: to download from"
		}
		return Job{Tenant: e.Tenant, Provider: e.Provider, EnvelopeID: e.EnvelopeID, CompletedSeq: e.Seq, CompletedAt: e.OccurredAt}, 0, ""
	}
	return Job{}, http.StatusConflict, "the envelope is not completed: only completed envelopes are exported"
}
