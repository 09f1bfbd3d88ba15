package reconciler

import (
	"context"

	"github.com/countersign/countersign/shared/providers/apiclient"
)

// providerAuth reports whether err is the provider API refusing the
// tenant's credentials (401/403) and, if so, counts and logs it naming
// the provider and tenant: the fix is a new api.token and a reload, not
// patience.
func (s *Service) providerAuth(ctx context.Context, tg *target, err error) bool {
	code, ok := apiclient.AuthStatus(err)
	if !ok {
		return false
	}
	s.metrics.authFailures.WithLabelValues("reconciler", tg.tenant, tg.kind).Inc()
	s.log.ErrorContext(ctx, "reconciler: provider API refused the credentials; fix api.token and reload",
		"tenant", tg.tenant, "provider", tg.kind, "status", code, "class", "provider_auth")
	return true
}
