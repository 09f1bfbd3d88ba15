package verifier

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/registry"
)

// Reload prepares the adapters (verifying keys) and API clients (tokens,
// file: ones re-read) of f; commit swaps them in. A callback being handled
// finishes with what it started with.
func (s *Service) Reload(f *config.File) (commit func(), err error) {
	adapters, err := buildAdapters(f)
	if err != nil {
		return nil, err
	}
	cs, err := buildClients(f, s.confirm.opts)
	if err != nil {
		return nil, err
	}
	return func() {
		s.adapters.Store(&adapters)
		s.confirm.clients.Store(&cs)
	}, nil
}

// buildAdapters builds every provider adapter of f, keyed "<tenant>/<kind>".
func buildAdapters(f *config.File) (map[string]providers.Adapter, error) {
	out := map[string]providers.Adapter{}
	for _, t := range f.Tenants {
		for _, p := range t.Providers {
			a, err := registry.New(p)
			if err != nil {
				return nil, fmt.Errorf("verifier: tenant %s: %w", t.ID, err)
			}
			out[t.ID+"/"+a.Kind()] = a
		}
	}
	return out, nil
}
