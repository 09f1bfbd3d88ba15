package reconciler

import (
	"context"
	"errors"
	"time"

	"github.com/countersign/countersign/shared/service"
)

// EndpointTimeout bounds one reconcile request: it answers (503 when the
// lease stayed taken) before the admin API's forwarding gives up.
const EndpointTimeout = 50 * time.Second

// ReconcileRequest is the body of the reconcile endpoint (the admin API's
// POST /v1/reconcile forwards it as it came).
type ReconcileRequest struct {
	Tenant   string `json:"tenant"`
	Provider string `json:"provider"`
	// Since is RFC 3339; empty means from the cursor.
	Since string `json:"since"`
}

// Endpoints are the reconciler's request endpoints: reconcile.
func (s *Service) Endpoints() []service.Endpoint {
	return []service.Endpoint{{Name: service.EndpointReconcile, Handle: s.handleReconcile, Timeout: EndpointTimeout}}
}

// handleReconcile runs a round now and answers its Result: 400 for a bad
// body, 404 for a provider that is not reconciled, 502 when the
// provider's API failed, 503 when the poll lease stayed taken.
func (s *Service) handleReconcile(ctx context.Context, data []byte) (any, error) {
	var req ReconcileRequest
	if err := service.DecodeJSON(data, &req); err != nil {
		return nil, err
	}
	if req.Tenant == "" || req.Provider == "" {
		return nil, service.BadRequest("tenant and provider are required")
	}
	var since time.Time
	if req.Since != "" {
		t, err := time.Parse(time.RFC3339Nano, req.Since)
		if err != nil {
			return nil, service.BadRequest("since: want an RFC 3339 time")
		}
		since = t
	}
	// The round outlives the request: a large window (100,000 envelopes)
	// takes longer than any caller waits, and a round cut off by its
	// caller's deadline would publish nothing. What it finds reaches STATE
	// as it goes; the caller gets the result if it is done in time.
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := s.Reconcile(context.WithoutCancel(ctx), req.Tenant, req.Provider, since)
		done <- outcome{res, err}
	}()
	var res Result
	var err error
	select {
	case o := <-done:
		res, err = o.res, o.err
	case <-ctx.Done():
		return Result{Tenant: req.Tenant, Provider: req.Provider, Running: true}, nil
	}
	switch {
	case errors.Is(err, ErrUnknownTarget):
		return nil, service.NotFound("no reconciled provider " + req.Provider + " for tenant " + req.Tenant + " (it needs an api: section)")
	case errors.Is(err, ErrLeaseHeld):
		return nil, service.Unavailable("another replica is reconciling this provider", 5*time.Second)
	case isAPI(err):
		return nil, service.BadGateway(err.Error())
	case err != nil:
		return nil, err
	}
	return res, nil
}
