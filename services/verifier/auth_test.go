package verifier

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// A provider API answering 401 or 403 is a refused token: class
// provider_auth, dead-lettered at once (permanent), naming provider and
// tenant, counted — not retried like an outage. A 503 stays transient.
func TestConfirmProviderAuth(t *testing.T) {
	at := time.Date(2026, 1, 13, 7, 9, 58, 0, time.UTC)
	esaw := adapter(t, config.Provider{Kind: providers.KindESignAnyWhere, CallbackToken: config.NewSecret("esaw-token-1")})
	for _, code := range []int{401, 403, 503} {
		client := &fakeStatus{err: &apiclient.StatusError{Code: code, Body: []byte(`{"error":"x"}`)}}
		c := newConfirmerWith(map[string]providers.StatusClient{tenant + "/" + providers.KindESignAnyWhere: client})
		var err error
		if c.authFailures, err = apiclient.AuthFailures(prometheus.NewRegistry()); err != nil {
			t.Fatal(err)
		}
		_, err = c.confirm(t.Context(), tenant, esaw, esawEvents(t, esaw, "envelopeFinished", "", at))
		auth := testutil.ToFloat64(c.authFailures.WithLabelValues("verifier", tenant, providers.KindESignAnyWhere))
		if code == 503 {
			if err == nil || bus.IsPermanent(err) || bus.ErrorClass(err) != bus.ClassTransient || auth != 0 {
				t.Fatalf("503: err %v (class %s), auth failures %v; want transient, uncounted", err, bus.ErrorClass(err), auth)
			}
			continue
		}
		if !bus.IsPermanent(err) || bus.ErrorClass(err) != bus.ClassProviderAuth {
			t.Fatalf("%d: err %v, class %q; want permanent provider_auth", code, err, bus.ErrorClass(err))
		}
		var se *apiclient.StatusError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "provider esignanywhere") || !strings.Contains(err.Error(), "tenant acme") {
			t.Fatalf("%d: message %q must name provider and tenant and wrap the status", code, err)
		}
		if auth != 1 || client.calls != 1 {
			t.Fatalf("%d: %v auth failures counted, %d calls; want 1 and 1", code, auth, client.calls)
		}
	}
}
