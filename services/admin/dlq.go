package admin

import (
	"fmt"
	"net/http"

	"github.com/countersign/countersign/shared/dlq"
	"github.com/countersign/countersign/shared/process"
)

// dlqRoutes builds the DLQ browse and replay routes (GET /v1/dlq,
// POST /v1/replay, POST /v1/replay/raw) over env and registers the DLQ
// size and replay metrics. The routes are mounted behind the token.
func dlqRoutes(env *process.Env) (func(*http.ServeMux), error) {
	store, err := dlq.NewStore(dlq.StoreConfig{
		JS: env.JS, Logger: env.Logger.With("service", "admin"), Metrics: dlq.NewMetrics(env.Registry),
	})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if err := dlq.RegisterSize(env.Registry, env.JS); err != nil {
		return nil, fmt.Errorf("admin: DLQ size metric: %w", err)
	}
	return dlq.NewAPI(store, env.Logger.With("service", "admin")).Mount, nil
}

// mountAll returns a Mount that applies every mount in turn.
func mountAll(mounts ...func(*http.ServeMux)) func(*http.ServeMux) {
	return func(mux *http.ServeMux) {
		for _, m := range mounts {
			m(mux)
		}
	}
}
