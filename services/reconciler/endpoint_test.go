package reconciler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/service"
)

func TestReconcileEndpoint(t *testing.T) {
	f := newFixture(t)
	f.docusign.set(providers.Status{EnvelopeID: "env-t", State: envelope.StateVoided, ChangedAt: t0.Add(-30 * time.Hour)})
	handle := f.svc.Endpoints()[0].Handle
	tests := []struct {
		name   string
		body   string
		status int
		want   *Result
	}{
		{name: "window from since", body: `{"tenant":"acme","provider":"docusign","since":"` + t0.Add(-48*time.Hour).Format(time.RFC3339) + `"}`,
			want: &Result{Tenant: "acme", Provider: "docusign", Checked: 1, Drift: 1, Published: 1}},
		{name: "again: nothing new", body: `{"tenant":"acme","provider":"docusign","since":"` + t0.Add(-48*time.Hour).Format(time.RFC3339) + `"}`,
			want: &Result{Tenant: "acme", Provider: "docusign", Checked: 1}},
		{name: "from the cursor", body: `{"tenant":"acme","provider":"adobesign"}`,
			want: &Result{Tenant: "acme", Provider: "adobesign"}},
		{name: "provider without api", body: `{"tenant":"acme","provider":"standardwebhooks"}`, status: 404},
		{name: "unknown tenant", body: `{"tenant":"nope","provider":"docusign"}`, status: 404},
		{name: "bad since", body: `{"tenant":"acme","provider":"docusign","since":"yesterday"}`, status: 400},
		{name: "missing provider", body: `{"tenant":"acme"}`, status: 400},
		{name: "unknown field", body: `{"tenant":"acme","provider":"docusign","until":"x"}`, status: 400},
		{name: "not json", body: `tenant=acme`, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handle(context.Background(), []byte(tt.body))
			if tt.want == nil {
				var e *service.Error
				if !errors.As(err, &e) || e.Status != tt.status || e.Message == "" {
					t.Fatalf("error %v, want status %d", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != *tt.want {
				t.Fatalf("answer %+v, want %+v", got, *tt.want)
			}
		})
	}
}

// TestReconcileOutlivesItsRequest: a caller that stops waiting (its
// deadline passed, as an admin forward's does for a 100,000-envelope
// window) neither cancels the round nor loses what it finds.
func TestReconcileOutlivesItsRequest(t *testing.T) {
	f := newFixture(t)
	f.docusign.set(providers.Status{EnvelopeID: "env-late", State: envelope.StateVoided, ChangedAt: t0.Add(-30 * time.Hour)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := f.svc.Endpoints()[0].Handle(ctx, []byte(`{"tenant":"acme","provider":"docusign","since":"`+t0.Add(-48*time.Hour).Format(time.RFC3339)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := got.(Result); r.Tenant != "acme" || r.Provider != "docusign" || (!r.Running && r.Published != 1) {
		t.Fatalf("answer %+v, want running or the round's result", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.state.mu.Lock()
		n := len(f.state.published)
		f.state.mu.Unlock()
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events published after the caller left, want 1", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
