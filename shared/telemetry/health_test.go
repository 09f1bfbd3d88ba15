package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestHealthEndpoints(t *testing.T) {
	failing := func(context.Context) error { return errors.New("connection refused") }
	passing := func(context.Context) error { return nil }
	// hanging blocks until its deadline: the timeout must turn it into an error.
	hanging := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	tests := []struct {
		name       string
		checks     map[string]Check
		path       string
		wantCode   int
		wantStatus string
		wantChecks map[string]string
	}{
		{"liveness ignores checks", map[string]Check{"nats": failing}, "/healthz", 200, "ok", nil},
		{"ready without checks", nil, "/readyz", 200, "ok", map[string]string{}},
		{"ready when all pass", map[string]Check{"nats": passing, "redis": passing}, "/readyz", 200, "ok",
			map[string]string{"nats": "ok", "redis": "ok"}},
		{"not ready when one fails", map[string]Check{"nats": passing, "redis": failing}, "/readyz", 503, "unavailable",
			map[string]string{"nats": "ok", "redis": "error: connection refused"}},
		{"hung check times out", map[string]Check{"streams": hanging}, "/readyz", 503, "unavailable",
			map[string]string{"streams": "error: context deadline exceeded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHealth()
			h.SetCheckTimeout(50 * time.Millisecond)
			for name, c := range tt.checks {
				h.AddReadiness(name, c)
			}
			mux := http.NewServeMux()
			h.Mount(mux, NewRegistry())
			srv := httptest.NewServer(mux)
			defer srv.Close()

			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content type %q", ct)
			}
			var body struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body.Status != tt.wantStatus || len(body.Checks) != len(tt.wantChecks) {
				t.Fatalf("body %+v, want status %q checks %v", body, tt.wantStatus, tt.wantChecks)
			}
			for k, v := range tt.wantChecks {
				if body.Checks[k] != v {
					t.Fatalf("check %s = %q, want %q", k, body.Checks[k], v)
				}
			}
		})
	}
}

func TestAddReadinessReplaces(t *testing.T) {
	h := NewHealth()
	h.AddReadiness("nats", func(context.Context) error { return errors.New("down") })
	h.AddReadiness("nats", func(context.Context) error { return nil })
	rep, ok := h.Ready(context.Background())
	if !ok || len(rep.Checks) != 1 || rep.Checks["nats"] != "ok" {
		t.Fatalf("Ready = %+v, %v", rep, ok)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	reg := NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "countersign_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	// Two listeners share one registry: mounting twice must work.
	for _, name := range []string{"ingress", "admin"} {
		t.Run(name, func(t *testing.T) {
			mux := http.NewServeMux()
			NewHealth().Mount(mux, reg)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"countersign_test_total 3", "go_goroutines", "process_", "promhttp_metric_handler_requests_total"} {
				if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
					t.Fatalf("status %d, body lacks %q:\n%.500s", resp.StatusCode, want, b)
				}
			}
		})
	}
}

func TestEndpointsAreGETOnly(t *testing.T) {
	mux := http.NewServeMux()
	NewHealth().Mount(mux, NewRegistry())
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		t.Run(path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("POST %s = %d", path, rec.Code)
			}
		})
	}
}
