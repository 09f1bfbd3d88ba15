package reconciler

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

func TestTrigger(t *testing.T) {
	f := newFixture(t)
	f.docusign.set(providers.Status{EnvelopeID: "env-t", State: envelope.StateVoided, ChangedAt: t0.Add(-30 * time.Hour)})
	mux := http.NewServeMux()
	f.svc.Mount(mux)
	tests := []struct {
		name   string
		body   string
		status int
		want   *Result
	}{
		{name: "window from since", body: `{"tenant":"acme","provider":"docusign","since":"` + t0.Add(-48*time.Hour).Format(time.RFC3339) + `"}`,
			status: http.StatusOK, want: &Result{Tenant: "acme", Provider: "docusign", Checked: 1, Drift: 1, Published: 1}},
		{name: "again: nothing new", body: `{"tenant":"acme","provider":"docusign","since":"` + t0.Add(-48*time.Hour).Format(time.RFC3339) + `"}`,
			status: http.StatusOK, want: &Result{Tenant: "acme", Provider: "docusign", Checked: 1}},
		{name: "from the cursor", body: `{"tenant":"acme","provider":"adobesign"}`,
			status: http.StatusOK, want: &Result{Tenant: "acme", Provider: "adobesign"}},
		{name: "provider without api", body: `{"tenant":"acme","provider":"standardwebhooks"}`, status: http.StatusNotFound},
		{name: "unknown tenant", body: `{"tenant":"nope","provider":"docusign"}`, status: http.StatusNotFound},
		{name: "bad since", body: `{"tenant":"acme","provider":"docusign","since":"yesterday"}`, status: http.StatusBadRequest},
		{name: "missing provider", body: `{"tenant":"acme"}`, status: http.StatusBadRequest},
		{name: "unknown field", body: `{"tenant":"acme","provider":"docusign","until":"x"}`, status: http.StatusBadRequest},
		{name: "not json", body: `tenant=acme`, status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			access.Trusted(mux).ServeHTTP(rr, httptest.NewRequest(http.MethodPost, "/v1/reconcile", strings.NewReader(tt.body)))
			if rr.Code != tt.status {
				t.Fatalf("status %d (%s), want %d", rr.Code, rr.Body, tt.status)
			}
			if ct := rr.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content type %q", ct)
			}
			if tt.want == nil {
				var e map[string]string
				if err := json.Unmarshal(rr.Body.Bytes(), &e); err != nil || e["error"] == "" {
					t.Fatalf("error body %s", rr.Body)
				}
				return
			}
			var got Result
			if err := json.Unmarshal(rr.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got != *tt.want {
				t.Fatalf("answer %+v, want %+v", got, *tt.want)
			}
		})
	}
}
