package ingress

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
)

// Reload prepares the tenants, adapters and rate limits of f; commit
// swaps them in. A request already past its tenant lookup finishes with
// the old adapter; the next one sees the new — no request is refused for
// the swap. A tenant whose rate limit did not change keeps its limiter
// (and the tokens it has spent). Listener settings (ingress.*) take
// effect at the next start.
func (s *Service) Reload(f *config.File) (commit func(), err error) {
	tenants, err := buildTenants(f, *s.tenants.Load())
	if err != nil {
		return nil, err
	}
	return func() { s.tenants.Store(&tenants) }, nil
}

// buildTenants builds every tenant of f, reusing the limiters of old
// whose rate limit is unchanged.
func buildTenants(f *config.File, old map[string]*tenant) (map[string]*tenant, error) {
	out := make(map[string]*tenant, len(f.Tenants))
	for i := range f.Tenants {
		t, err := newTenant(&f.Tenants[i])
		if err != nil {
			return nil, fmt.Errorf("ingress: %w", err)
		}
		if prev, ok := old[t.id]; ok && prev.rate == t.rate {
			t.limiter = prev.limiter
		}
		out[t.id] = t
	}
	return out, nil
}
