package ingress

import (
	"context"

	"github.com/countersign/countersign/shared/process"
)

// FromEnv builds the ingress of a process: the all-in-one and
// cmd/ingress share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (*Service, error) {
	s, err := New(ctx, Config{
		Addr: env.Settings.IngressAddr, File: env.File, JS: env.JS,
		Logger: env.Logger.With("service", "ingress"), Registry: env.Registry,
		Health: env.Health, Gatherer: env.Registry,
	})
	if err != nil {
		return nil, err
	}
	env.OnReload(s.Reload)
	return s, nil
}
