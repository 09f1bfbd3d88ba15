package reconciler

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/countersign/countersign/shared/access"
)

// maxTriggerBody caps a POST /v1/reconcile body: three short fields.
const maxTriggerBody = 4096

// triggerRequest is the body of POST /v1/reconcile.
type triggerRequest struct {
	Tenant   string `json:"tenant"`
	Provider string `json:"provider"`
	// Since is RFC 3339; empty means from the cursor.
	Since string `json:"since"`
}

// Mount adds POST /v1/reconcile to mux. The admin service mounts it
// behind its bearer token (admin.Config.Mount).
func (s *Service) Mount(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/reconcile", s.trigger)
}

// trigger runs a round now and answers its Result: 400 for a bad body,
// 404 for a provider that is not reconciled, 502 when the provider's API
// failed, 503 when the poll lease stayed taken.
func (s *Service) trigger(w http.ResponseWriter, r *http.Request) {
	var req triggerRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxTriggerBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad request body: "+err.Error())
		return
	}
	if req.Tenant == "" || req.Provider == "" {
		writeError(w, http.StatusBadRequest, "tenant and provider are required")
		return
	}
	if !access.Allow(w, r, req.Tenant) {
		return
	}
	var since time.Time
	if req.Since != "" {
		t, err := time.Parse(time.RFC3339Nano, req.Since)
		if err != nil {
			writeError(w, http.StatusBadRequest, "since: want an RFC 3339 time")
			return
		}
		since = t
	}
	res, err := s.Reconcile(r.Context(), req.Tenant, req.Provider, since)
	switch {
	case errors.Is(err, ErrUnknownTarget):
		writeError(w, http.StatusNotFound, "no reconciled provider "+req.Provider+" for tenant "+req.Tenant+" (it needs an api: section)")
	case errors.Is(err, ErrLeaseHeld):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "another replica is reconciling this provider")
	case isAPI(err):
		writeError(w, http.StatusBadGateway, err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers {"error": msg}, as every admin API error.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
