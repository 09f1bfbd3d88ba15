package telemetry

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/httpjson"
)

// DefaultCheckTimeout bounds every readiness check, so that a hung
// dependency makes /readyz answer 503 rather than hang the prober.
const DefaultCheckTimeout = 2 * time.Second

// Check reports whether one dependency is usable; nil means ready.
type Check func(ctx context.Context) error

// Health serves liveness and readiness. Liveness means the process
// answers; readiness runs every registered Check. It is safe for
// concurrent use: checks may be added while it serves.
type Health struct {
	mu      sync.Mutex
	names   []string
	checks  map[string]Check
	timeout time.Duration
}

// NewHealth returns a Health with no readiness checks (always ready) and
// DefaultCheckTimeout.
func NewHealth() *Health {
	return &Health{checks: map[string]Check{}, timeout: DefaultCheckTimeout}
}

// SetCheckTimeout changes the bound on each readiness check.
func (h *Health) SetCheckTimeout(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timeout = d
}

// AddReadiness registers check under name ("nats", "streams", "redis");
// adding a name again replaces its check.
func (h *Health) AddReadiness(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.checks[name]; !ok {
		h.names = append(h.names, name)
	}
	h.checks[name] = c
}

// Report is the outcome of the readiness checks, as /readyz serves it.
type Report struct {
	// Status is "ok" when every check passed, else "unavailable".
	Status string `json:"status"`
	// Checks maps each check's name to "ok" or "error: <message>".
	Checks map[string]string `json:"checks"`
}

// Ready reports whether every check passes, running them concurrently,
// each bounded by the check timeout.
func (h *Health) Ready(ctx context.Context) (Report, bool) {
	h.mu.Lock()
	names := append([]string(nil), h.names...)
	checks := make([]Check, len(names))
	for i, n := range names {
		checks[i] = h.checks[n]
	}
	timeout := h.timeout
	h.mu.Unlock()

	results := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			results[i] = c(cctx)
		})
	}
	wg.Wait()

	rep := Report{Status: "ok", Checks: make(map[string]string, len(names))}
	for i, n := range names {
		if results[i] != nil {
			rep.Status = "unavailable"
			rep.Checks[n] = "error: " + results[i].Error()
			continue
		}
		rep.Checks[n] = "ok"
	}
	return rep, rep.Status == "ok"
}

// Mount registers GET /healthz (200 {"status":"ok"}), GET /readyz (200,
// or 503 when a check fails, with the Report) and GET /metrics (reg) on
// mux. Call it once per listener.
func (h *Health) Mount(mux *http.ServeMux, reg *prometheus.Registry) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rep, ok := h.Ready(r.Context())
		code := http.StatusOK
		if !ok {
			code = http.StatusServiceUnavailable
		}
		httpjson.Write(w, code, rep)
	})
	mux.Handle("GET /metrics", MetricsHandler(reg))
}
