package apiclient

import (
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// AuthStatus returns the HTTP status and true when err is the provider
// API refusing countersign's credentials (401 or 403): a revoked or
// rotated token, which no retry cures.
func AuthStatus(err error) (int, bool) {
	var se *StatusError
	if errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden) {
		return se.Code, true
	}
	return 0, false
}

// AuthFailures returns the counter countersign_provider_auth_failures_total
// {service, tenant, provider} registered on reg — the one already there
// when another service of the process registered it first.
func AuthFailures(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "countersign_provider_auth_failures_total",
		Help: "Provider API answers 401/403 to countersign's credentials (a revoked or rotated API token), by service, tenant and provider.",
	}, []string{"service", "tenant", "provider"})
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if prev, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return prev, nil
			}
		}
		return nil, err
	}
	return c, nil
}
