package demo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/tests/sandbox"
)

// fakeAdmin serves the admin API's envelope and ledger reads behind a
// bearer token. states holds, per envelope id, the state each read
// answers in turn; the last one repeats (the pipeline catching up).
type fakeAdmin struct {
	mu     sync.Mutex
	states map[string][]string
	reads  map[string]int
}

func newFakeAdmin(states map[string][]string) *fakeAdmin {
	return &fakeAdmin{states: states, reads: map[string]int{}}
}

func (f *fakeAdmin) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/tenants/{t}/envelopes/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		id := r.PathValue("id")
		seq, ok := f.states[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		st := seq[min(f.reads[id], len(seq)-1)]
		f.reads[id]++
		_ = json.NewEncoder(w).Encode(EnvelopeView{Tenant: r.PathValue("t"), EnvelopeID: id, State: st})
	})
	mux.HandleFunc("GET /v1/tenants/{t}/envelopes/{id}/ledger", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(Ledger{Entries: []Entry{{ID: "e1", Seq: 1, Source: "webhook"}}, Verified: true})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			mux.ServeHTTP(w, r)
		case "Bearer broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		}
	})
}

func TestAdminClient(t *testing.T) {
	f := newFakeAdmin(map[string][]string{"contracts/2026:x": {"sent"}})
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	tests := []struct {
		name, token, id string
		want            error
	}{
		{"found, id with / and : escaped", "good", "contracts/2026:x", nil},
		{"unknown envelope", "good", "nope", ErrNotFound},
		{"bad token", "bad", "contracts/2026:x", ErrAdmin},
		{"server error", "broken", "contracts/2026:x", ErrAdmin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &Admin{BaseURL: srv.URL, Token: tc.token}
			v, err := a.Envelope(ctx, "acme", tc.id)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Envelope: %v, want %v", err, tc.want)
			}
			if tc.want == nil && (v.EnvelopeID != tc.id || v.State != "sent" || v.Tenant != "acme") {
				t.Fatalf("Envelope = %+v", v)
			}
			l, err := a.Ledger(ctx, "acme", tc.id)
			if tc.want != ErrNotFound && !errors.Is(err, tc.want) {
				t.Fatalf("Ledger: %v, want %v", err, tc.want)
			}
			if tc.want == nil && (!l.Verified || len(l.Entries) != 1 || !l.HasSource("webhook")) {
				t.Fatalf("Ledger = %+v", l)
			}
		})
	}
}

// TestAwait: envelopes that reach their truth while Await polls are
// converged; one that never does stays pending with its last difference
// once ctx ends.
func TestAwait(t *testing.T) {
	f := newFakeAdmin(map[string][]string{
		"a":     {"sent", "delivered", "sent", "completed"},
		"b":     {"completed"},
		"stuck": {"sent"},
	})
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	want := map[string]sandbox.Expected{}
	for _, id := range []string{"a", "b", "stuck", "missing"} {
		want["acme/docusign/"+id] = sandbox.Expected{Tenant: "acme", Provider: "docusign", EnvelopeID: id, State: envelope.StateCompleted}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := Await(ctx, &Admin{BaseURL: srv.URL, Token: "good"}, want, 10*time.Millisecond)
	if !c.Converged["acme/docusign/a"] || !c.Converged["acme/docusign/b"] || len(c.Converged) != 2 {
		t.Fatalf("converged %v, want a and b", c.Converged)
	}
	if err := c.Pending["acme/docusign/stuck"]; !errors.Is(err, ErrMismatch) {
		t.Errorf("stuck: %v, want a mismatch", err)
	}
	if err := c.Pending["acme/docusign/missing"]; !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v, want not found", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reads["a"] != 4 || f.reads["b"] != 1 {
		t.Errorf("reads %v: a converged envelope must not be asked again", f.reads)
	}
}
