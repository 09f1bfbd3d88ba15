package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/countersign/countersign/shared/service"
)

// notifyTimeout bounds the wait for the notifier's answer.
const notifyTimeout = 15 * time.Second

// notifyRoutes mounts POST /v1/tenants/{tenant}/notify/resume (operate
// role, which the guard enforces for every non-GET, like the tenant in
// the path) and GET /v1/tenants/{tenant}/notify (the playbook's pause,
// rates and pending timers). Both are the notifier's endpoints, reached
// over NATS wherever it runs; without one the answer is 503.
func notifyRoutes(nc *nats.Conn) func(*http.ServeMux) {
	ask := func(endpoint string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := json.Marshal(map[string]string{"tenant": r.PathValue("tenant")})
			ctx, cancel := context.WithTimeout(r.Context(), notifyTimeout)
			defer cancel()
			var reply json.RawMessage
			err := service.Call(ctx, nc, service.Notifier, endpoint, body, &reply)
			service.WriteHTTP(w, reply, err)
		}
	}
	return func(mux *http.ServeMux) {
		mux.Handle("POST /v1/tenants/{tenant}/notify/resume", ask(service.EndpointNotifyResume))
		mux.Handle("GET /v1/tenants/{tenant}/notify", ask(service.EndpointNotifyStatus))
	}
}
