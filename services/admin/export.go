package admin

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/nats-io/nats.go"

	"github.com/countersign/countersign/shared/exportapi"
	"github.com/countersign/countersign/shared/httpjson"
	"github.com/countersign/countersign/shared/service"
)

// exportRoutes mounts GET and POST /v1/tenants/{tenant}/envelopes/{id}/export:
// the envelope's DMS export, and exporting it again (202). Both ask the
// dmsexport service's endpoints over NATS, wherever it runs (503 when none
// does); POST needs an operate token (access.Guard).
func exportRoutes(nc *nats.Conn) func(*http.ServeMux) {
	call := func(endpoint string, ok int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			tenant, id, valid := pathEnvelope(w, r)
			if !valid {
				return
			}
			req, _ := json.Marshal(exportapi.Request{Tenant: tenant, EnvelopeID: id})
			ctx, cancel := context.WithTimeout(r.Context(), forwardTimeout)
			defer cancel()
			var st exportapi.Status
			if err := service.Call(ctx, nc, service.DMSExport, endpoint, req, &st); err != nil {
				service.WriteHTTP(w, nil, err)
				return
			}
			httpjson.Write(w, ok, st)
		}
	}
	return func(mux *http.ServeMux) {
		mux.Handle("GET /v1/tenants/{tenant}/envelopes/{id}/export", call(service.EndpointExportStatus, http.StatusOK))
		mux.Handle("POST /v1/tenants/{tenant}/envelopes/{id}/export", call(service.EndpointExport, http.StatusAccepted))
	}
}
