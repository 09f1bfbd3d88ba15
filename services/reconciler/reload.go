package reconciler

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
)

// targetAPI is a target's API client and, when the provider can list
// changes, the same client as a ChangeLister.
type targetAPI struct {
	client providers.StatusClient
	lister providers.ChangeLister // nil: polled per envelope
}

func (tg *target) apis() *targetAPI { return tg.api.Load() }

func (tg *target) setClient(c providers.StatusClient) {
	a := &targetAPI{client: c}
	a.lister, _ = c.(providers.ChangeLister)
	tg.api.Store(a)
}

// Reload builds new API clients from f for the targets that are running
// (a rotated API token, a file: token re-read); commit swaps them in. A
// round in progress finishes with the client it started with. Providers
// that gain or lose api: are reconciled as they were until the next start.
func (s *Service) Reload(f *config.File) (commit func(), err error) {
	next := map[*target]providers.StatusClient{}
	for _, t := range f.Tenants {
		for _, p := range t.Providers {
			tg, ok := s.targets[t.ID+"/"+p.Kind]
			if !ok {
				continue
			}
			c, err := s.cfg.Client(p)
			if err != nil {
				return nil, fmt.Errorf("reconciler: tenant %s: %w", t.ID, err)
			}
			if c != nil {
				next[tg] = c
			}
		}
	}
	return func() {
		for tg, c := range next {
			tg.setClient(c)
		}
	}, nil
}
