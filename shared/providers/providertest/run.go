package providertest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// Run checks adapter a against each case, as a subtest per case:
// authentication, intent detection, delivery id, the success answer, the
// parsed events (with their derived ids), confirmation flags, redaction,
// and that parsing the same request twice gives the same events.
func Run(t *testing.T, a providers.Adapter, cases ...Case) {
	t.Helper()
	if len(cases) == 0 {
		t.Fatal("providertest: no cases")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { runCase(t, a, c) })
	}
}

func runCase(t *testing.T, a providers.Adapter, c Case) {
	req := c.Request.ProviderRequest()
	err := a.Authenticate(req, c.Now)
	switch c.Auth {
	case "":
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
	case "unauthenticated":
		if !errors.Is(err, providers.ErrUnauthenticated) {
			t.Fatalf("Authenticate = %v, want an error wrapping ErrUnauthenticated", err)
		}
		return
	default:
		t.Fatalf("fixture: unknown auth %q", c.Auth)
	}

	if in, ok := a.(providers.Intent); ok {
		if got := in.IsIntentCheck(req); got != c.Intent {
			t.Errorf("IsIntentCheck = %v, want %v", got, c.Intent)
		}
	} else if c.Intent {
		t.Errorf("fixture expects an intent check but %T has none", a)
	}
	if got := a.DeliveryID(req); got != c.DeliveryID {
		t.Errorf("DeliveryID = %q, want %q", got, c.DeliveryID)
	}
	if c.Response != nil {
		checkResponse(t, a.Respond(req), *c.Response)
	}
	if c.RedactedQuery != nil {
		if got := a.Redact(req.Query); !reflect.DeepEqual(map[string][]string(got), map[string][]string(c.RedactedQuery)) {
			t.Errorf("Redact = %v, want %v", got, c.RedactedQuery)
		}
	}
	if c.Intent {
		return
	}

	events, err := a.Parse(c.Tenant, req)
	switch c.Parse {
	case "":
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
	case "malformed":
		if !errors.Is(err, providers.ErrMalformed) {
			t.Fatalf("Parse = %v, want an error wrapping ErrMalformed", err)
		}
		return
	default:
		t.Fatalf("fixture: unknown parse %q", c.Parse)
	}
	checkEvents(t, a, c, events)

	again, err := a.Parse(c.Tenant, req)
	if err != nil || !reflect.DeepEqual(again, events) {
		t.Errorf("second Parse of the same request differs: %v, %+v", err, again)
	}
}

func checkResponse(t *testing.T, got providers.Response, want Response) {
	t.Helper()
	if got.Status != want.Status {
		t.Errorf("Respond status = %d, want %d", got.Status, want.Status)
	}
	if string(got.Body) != want.Body {
		t.Errorf("Respond body = %q, want %q", got.Body, want.Body)
	}
	for k, v := range want.Header {
		if g := got.Header.Get(k); g != v {
			t.Errorf("Respond header %s = %q, want %q", k, g, v)
		}
	}
}

func checkEvents(t *testing.T, a providers.Adapter, c Case, got []envelope.Event) {
	t.Helper()
	if len(got) != len(c.Events) {
		t.Fatalf("Parse gave %d events, want %d: %+v", len(got), len(c.Events), got)
	}
	confirmer, _ := a.(providers.Confirmer)
	for i, w := range c.Events {
		g := got[i]
		if err := CheckEvent(g, c.Tenant, a.Kind()); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
		if g.EnvelopeID != w.EnvelopeID || g.Type != w.Type || !g.OccurredAt.Equal(w.OccurredAt) || g.DeliveryID != w.DeliveryID {
			t.Errorf("event %d = {%s %s %s %q}, want {%s %s %s %q}", i,
				g.EnvelopeID, g.Type, g.OccurredAt, g.DeliveryID, w.EnvelopeID, w.Type, w.OccurredAt, w.DeliveryID)
		}
		if !reflect.DeepEqual(g.Recipient, w.Recipient) {
			t.Errorf("event %d recipient = %+v, want %+v", i, g.Recipient, w.Recipient)
		}
		if w.Confirm != nil {
			if confirmer == nil {
				t.Errorf("fixture expects MustConfirm but %T is no Confirmer", a)
			} else if got := confirmer.MustConfirm(g); got != *w.Confirm {
				t.Errorf("event %d MustConfirm = %v, want %v", i, got, *w.Confirm)
			}
		}
	}
}
