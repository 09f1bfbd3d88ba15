// Package clienttest is the conformance suite every provider API client
// passes: what countersign relies on from each of them is checked once,
// here, against a fake API the fixture describes — no api: is
// ErrNoAPI; the credential goes with every request; 429 with Retry-After
// is waited out and retried; 5xx is retried; 404 is providers.ErrNotFound;
// 401 is a refused credential (apiclient.AuthStatus). Each package's own
// tests keep only what is particular to its provider (payload mapping,
// paging).
package clienttest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// Fixture describes one provider's API to the suite.
type Fixture struct {
	// New builds the client (kinds.Kind.Client).
	New func(p config.Provider, o apiclient.Options) (providers.StatusClient, error)
	// Provider returns the configured provider for an API at baseURL;
	// with api false, the same provider without its api: section.
	Provider func(baseURL string, api bool) config.Provider
	// Authorized reports whether r carries the configured credential.
	Authorized func(r *http.Request) bool
	// EnvelopeID is asked about; StatusBody is the API's answer for it,
	// meaning State.
	EnvelopeID string
	StatusBody string
	State      envelope.State
}

// fast keeps the suite's retries short.
var fast = apiclient.Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond}

// Run runs the suite against f.
func Run(t *testing.T, f Fixture) {
	t.Helper()
	t.Run("without api: ErrNoAPI", func(t *testing.T) {
		if _, err := f.New(f.Provider("http://127.0.0.1:1", false), fast); !errors.Is(err, providers.ErrNoAPI) {
			t.Fatalf("err = %v, want ErrNoAPI", err)
		}
	})
	// answers: the API's status codes in turn (200 = StatusBody); the last
	// repeats.
	serve := func(t *testing.T, retryAfter string, codes ...int) (providers.StatusClient, *atomic.Int32) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !f.Authorized(r) {
				t.Errorf("request without the configured credential: %s %s", r.Method, r.URL.Path)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			n := int(calls.Add(1))
			code := codes[min(n, len(codes))-1]
			w.Header().Set("Content-Type", "application/json")
			if code == http.StatusTooManyRequests && retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(code)
			if code == http.StatusOK {
				_, _ = w.Write([]byte(f.StatusBody))
				return
			}
			_, _ = w.Write([]byte(`{"error":"test"}`))
		}))
		t.Cleanup(srv.Close)
		c, err := f.New(f.Provider(srv.URL, true), fast)
		if err != nil {
			t.Fatal(err)
		}
		return c, &calls
	}
	t.Run("credential sent; status mapped", func(t *testing.T) {
		c, _ := serve(t, "", http.StatusOK)
		st, err := c.Status(t.Context(), f.EnvelopeID)
		if err != nil || st.State != f.State {
			t.Fatalf("status %+v, %v; want state %s", st, err, f.State)
		}
	})
	t.Run("429 with Retry-After is waited out and retried", func(t *testing.T) {
		c, calls := serve(t, "1", http.StatusTooManyRequests, http.StatusOK)
		start := time.Now()
		st, err := c.Status(t.Context(), f.EnvelopeID)
		if err != nil || st.State != f.State || calls.Load() != 2 {
			t.Fatalf("status %+v, %v after %d calls; want %s after 2", st, err, calls.Load(), f.State)
		}
		if waited := time.Since(start); waited < 900*time.Millisecond {
			t.Fatalf("retried after %s, before Retry-After's second", waited)
		}
	})
	t.Run("5xx is retried", func(t *testing.T) {
		c, calls := serve(t, "", http.StatusServiceUnavailable, http.StatusOK)
		if st, err := c.Status(t.Context(), f.EnvelopeID); err != nil || st.State != f.State || calls.Load() != 2 {
			t.Fatalf("status %+v, %v after %d calls; want %s after 2", st, err, calls.Load(), f.State)
		}
	})
	t.Run("404 is ErrNotFound", func(t *testing.T) {
		c, _ := serve(t, "", http.StatusNotFound)
		if _, err := c.Status(t.Context(), f.EnvelopeID); !errors.Is(err, providers.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("401 is a refused credential", func(t *testing.T) {
		c, _ := serve(t, "", http.StatusUnauthorized)
		_, err := c.Status(t.Context(), f.EnvelopeID)
		if code, ok := apiclient.AuthStatus(err); !ok || code != http.StatusUnauthorized {
			t.Fatalf("err = %v, want an auth status 401", err)
		}
	})
}
