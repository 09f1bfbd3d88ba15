package esignanywhere_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/esignanywhere"
	"github.com/countersign/countersign/shared/providers/providertest"
)

const envelopeID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"

func newAdapter(t testing.TB) *esignanywhere.Adapter {
	t.Helper()
	a, err := esignanywhere.New(config.Provider{Kind: providers.KindESignAnyWhere, CallbackToken: config.NewSecret("esaw-token-1")})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func TestConformance(t *testing.T) {
	providertest.Run(t, newAdapter(t), providertest.Load(t, "testdata/*.json")...)
}

func TestNew(t *testing.T) {
	if _, err := esignanywhere.New(config.Provider{}); !errors.Is(err, esignanywhere.ErrNoToken) {
		t.Errorf("New without callback_token = %v, want ErrNoToken", err)
	}
}

func TestAuthenticateToken(t *testing.T) {
	tests := []struct {
		name  string
		token []string
		ok    bool
	}{
		{"right", []string{"esaw-token-1"}, true},
		{"prefix", []string{"esaw-token-"}, false},
		{"longer", []string{"esaw-token-10"}, false},
		{"empty", []string{""}, false},
		{"absent", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"envelope": {envelopeID}, "action": {"envelopeFinished"}}
			if tt.token != nil {
				q["token"] = tt.token
			}
			err := newAdapter(t).Authenticate(&providers.Request{Method: http.MethodGet, Query: q}, time.Now())
			if tt.ok && err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if !tt.ok && !errors.Is(err, providers.ErrUnauthenticated) {
				t.Fatalf("Authenticate = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

// TestDeliveryIDs: GET callbacks have empty bodies, so the delivery id
// must come from the query, or ingress would drop every callback after
// the first as a duplicate. The token never influences it.
func TestDeliveryIDs(t *testing.T) {
	a := newAdapter(t)
	req := func(action, token string) *providers.Request {
		return &providers.Request{Method: http.MethodGet, Query: url.Values{"envelope": {envelopeID}, "action": {action}, "token": {token}}}
	}
	opened, finished := a.DeliveryID(req("workstepOpened", "t")), a.DeliveryID(req("envelopeFinished", "t"))
	if opened == finished {
		t.Errorf("different callbacks share delivery id %q", opened)
	}
	if again := a.DeliveryID(req("workstepOpened", "other")); again != opened {
		t.Errorf("delivery id depends on the token: %q vs %q", again, opened)
	}
	if stored := a.DeliveryID(&providers.Request{Query: a.Redact(req("workstepOpened", "t").Query)}); stored != opened {
		t.Errorf("delivery id of the redacted (stored) request %q, want %q", stored, opened)
	}
}

func TestRedactLeavesInputAlone(t *testing.T) {
	q := url.Values{"token": {"esaw-token-1"}, "envelope": {envelopeID}}
	out := newAdapter(t).Redact(q)
	if out.Has("token") || !q.Has("token") || out.Get("envelope") != envelopeID {
		t.Errorf("Redact = %v (input now %v)", out, q)
	}
}

func FuzzAdapter(f *testing.F) {
	f.Add("POST", "Content-Type: application/x-www-form-urlencoded", "token=esaw-token-1", []byte("envelope="+envelopeID+"&action=workstepRejected&recipient=a%40b"), int64(1768288198))
	providertest.Fuzz(f, newAdapter(f), providertest.Load(f, "testdata/*.json")...)
}
