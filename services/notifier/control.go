package notifier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/service"
)

// controlTimeout bounds one control request's work.
const controlTimeout = 10 * time.Second

// ControlRequest is the body of the resume and status endpoints; it names the tenant a control request is about.
type ControlRequest struct {
	Tenant string `json:"tenant"`
}

// Resumed answers a resume request.
type Resumed struct {
	Tenant    string `json:"tenant"`
	Resumed   bool   `json:"resumed"`
	WasPaused bool   `json:"was_paused"`
}

// Status is a tenant's playbook as the notifier sees it.
type Status struct {
	Tenant string `json:"tenant"`
	// Configured is false for a tenant without a notify section.
	Configured    bool       `json:"configured"`
	Paused        bool       `json:"paused"`
	PausedAt      *time.Time `json:"paused_at,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	ResumedAt     *time.Time `json:"resumed_at,omitempty"`
	Window        int        `json:"window"`
	Envelopes     int        `json:"envelopes"`
	BounceRate    float64    `json:"bounce_rate"`
	ExpiryRate    float64    `json:"expiry_rate"`
	PendingTimers int        `json:"pending_timers"`
	Reminders     []string   `json:"reminders"`
	Channels      int        `json:"channels"`
}

// Status reports a tenant's pause state, rates and pending timers.
func (s *Service) Status(ctx context.Context, tenant string) (Status, error) {
	if s.tenant(tenant) == nil {
		return Status{}, fmt.Errorf("%w: %q", ErrUnknownTenant, tenant)
	}
	n := s.playbook(tenant)
	if n == nil {
		return Status{Tenant: tenant, Reminders: []string{}}, nil
	}
	w, err := s.window(ctx, tenant)
	if err != nil {
		return Status{}, err
	}
	st := Status{
		Tenant: tenant, Configured: true, Paused: w.Paused, Reason: w.Reason, Window: n.Pause.Window, Envelopes: len(w.Envelopes),
		BounceRate: w.Rate("bounced", n.Pause.Window), ExpiryRate: w.Rate("expired", n.Pause.Window),
		Channels: len(n.Channels), Reminders: []string{},
	}
	if !w.PausedAt.IsZero() && w.Paused {
		st.PausedAt = &w.PausedAt
	}
	if !w.ResumedAt.IsZero() {
		st.ResumedAt = &w.ResumedAt
	}
	for _, r := range n.Reminders {
		st.Reminders = append(st.Reminders, r.D().String())
	}
	info, err := s.notify.Info(ctx, jetstream.WithSubjectFilter("timer."+tenant+".>"))
	if err != nil {
		return Status{}, fmt.Errorf("notifier: pending timers: %w", err)
	}
	st.PendingTimers = len(info.State.Subjects)
	return st, nil
}

// Endpoints are the notifier's request endpoints (NATS micro, queue
// group): resume and status, which the admin API forwards to.
func (s *Service) Endpoints() []service.Endpoint {
	handle := func(f func(ctx context.Context, tenant string) (any, error)) service.HandlerFunc {
		return func(ctx context.Context, data []byte) (any, error) {
			var req ControlRequest
			if err := service.DecodeJSON(data, &req); err != nil {
				return nil, err
			}
			if strings.TrimSpace(req.Tenant) == "" {
				return nil, service.BadRequest("tenant is required")
			}
			out, err := f(ctx, req.Tenant)
			if errors.Is(err, ErrUnknownTenant) {
				return nil, service.NotFound(err.Error())
			}
			return out, err
		}
	}
	resume := func(ctx context.Context, tenant string) (any, error) {
		was, err := s.Resume(ctx, tenant)
		return Resumed{Tenant: tenant, Resumed: err == nil, WasPaused: was}, err
	}
	status := func(ctx context.Context, tenant string) (any, error) { return s.Status(ctx, tenant) }
	return []service.Endpoint{
		{Name: service.EndpointNotifyResume, Handle: handle(resume), Timeout: controlTimeout},
		{Name: service.EndpointNotifyStatus, Handle: handle(status), Timeout: controlTimeout},
	}
}
