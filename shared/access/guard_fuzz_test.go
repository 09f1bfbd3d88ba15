package access

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Whatever the path — escapes, dots, doubled slashes — a token limited
// to acme never reaches a handler whose {tenant} is another tenant's.
func FuzzGuardTenantScope(f *testing.F) {
	for _, seed := range []string{
		"/v1/tenants/acme/envelopes/e1", "/v1/tenants/globex/envelopes/e1", "/v1/tenants/glob%65x/envelopes/e1",
		"/v1/tenants/acme%2F..%2Fglobex/envelopes/e1", "/v1/tenants//globex/envelopes/e1", "/v1/tenants/acme/../globex/envelopes/e1",
		"/v1/tenants/%61cme/envelopes/e1/ledger", "/v1/tenants/globex/envelopes/e1/ledger",
	} {
		f.Add(seed)
	}
	set := NewSet([]Token{{Name: "acme-only", Secret: "s", Tenants: []string{"acme"}, Role: RoleRead}})
	f.Fuzz(func(t *testing.T, path string) {
		mux := http.NewServeMux()
		reached := ""
		h := func(w http.ResponseWriter, r *http.Request) { reached = r.PathValue("tenant") }
		mux.HandleFunc("GET /v1/tenants/{tenant}/envelopes/{id}", h)
		mux.HandleFunc("GET /v1/tenants/{tenant}/envelopes/{id}/ledger", h)
		req, err := http.NewRequest(http.MethodGet, "http://x"+path, nil)
		if err != nil || req.URL.Host != "x" {
			return
		}
		req.Header.Set("Authorization", "Bearer s")
		Guard(NewHolder(set), mux, mux).ServeHTTP(httptest.NewRecorder(), req)
		if reached != "" && reached != "acme" {
			t.Fatalf("path %q reached tenant %q with an acme-only token", path, reached)
		}
	})
}
