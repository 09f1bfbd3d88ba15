package providertest

import (
	"errors"
	"fmt"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// CheckEvent returns an error when ev is not a well-formed webhook event of
// provider kind for tenant: id derived by envelope.EventID, valid type,
// envelope id set, recipient present on recipient events, UTC time.
func CheckEvent(ev envelope.Event, tenant, kind string) error {
	var errs []error
	if ev.Tenant != tenant {
		errs = append(errs, fmt.Errorf("tenant %q, want %q", ev.Tenant, tenant))
	}
	if ev.Provider != kind {
		errs = append(errs, fmt.Errorf("provider %q, want %q", ev.Provider, kind))
	}
	if ev.Source != envelope.SourceWebhook {
		errs = append(errs, fmt.Errorf("source %q, want webhook", ev.Source))
	}
	if ev.EnvelopeID == "" {
		errs = append(errs, errors.New("empty envelope id"))
	}
	if !ev.Type.Valid() {
		errs = append(errs, fmt.Errorf("invalid type %q", ev.Type))
	}
	if ev.Type.IsRecipient() && (ev.Recipient == nil || ev.Recipient.Key() == "") {
		errs = append(errs, fmt.Errorf("%s without a recipient", ev.Type))
	}
	if ev.OccurredAt.IsZero() || ev.OccurredAt.Location() != time.UTC {
		errs = append(errs, fmt.Errorf("occurred_at %v is zero or not UTC", ev.OccurredAt))
	}
	if want := envelope.EventID(ev.Tenant, ev.Provider, ev.EnvelopeID, ev.Type, ev.Recipient, ev.OccurredAt); ev.ID != want {
		errs = append(errs, fmt.Errorf("id %q, want %q", ev.ID, want))
	}
	return errors.Join(errs...)
}

// Exercise runs every Adapter method on req the way ingress and the
// verifier do, and returns an error when an invariant breaks: errors must
// wrap ErrUnauthenticated / ErrMalformed, and every event must pass
// CheckEvent. Fuzz tests call it on arbitrary input; a panic fails them.
func Exercise(a providers.Adapter, tenant string, req *providers.Request) error {
	a.DeliveryID(req)
	a.Redact(req.Query)
	if in, ok := a.(providers.Intent); ok {
		in.IsIntentCheck(req)
	}
	if err := a.Authenticate(req, req.ReceivedAt); err != nil && !errors.Is(err, providers.ErrUnauthenticated) {
		return fmt.Errorf("Authenticate error does not wrap ErrUnauthenticated: %w", err)
	}
	resp := a.Respond(req)
	if resp.Status < 200 || resp.Status > 299 {
		return fmt.Errorf("Respond status %d is not 2xx", resp.Status)
	}
	events, err := a.Parse(tenant, req)
	if err != nil {
		if !errors.Is(err, providers.ErrMalformed) {
			return fmt.Errorf("Parse error does not wrap ErrMalformed: %w", err)
		}
		return nil
	}
	c, _ := a.(providers.Confirmer)
	for i, ev := range events {
		if err := CheckEvent(ev, tenant, a.Kind()); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		if c != nil {
			c.MustConfirm(ev)
		}
	}
	return nil
}
