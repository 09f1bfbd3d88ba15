package ingress

import (
	"context"

	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/service"
)

// FromEnv builds the ingress of a process, registered as the
// countersign-ingress micro service: the all-in-one and cmd/ingress share
// this wiring.
func FromEnv(ctx context.Context, env *process.Env) (process.Runner, error) {
	log := env.Logger.With("service", service.Ingress)
	s, err := New(ctx, Config{
		Addr: env.Settings.IngressAddr, File: env.File, JS: env.JS,
		Logger: log, Registry: env.Registry,
		Health: env.Health, Gatherer: env.Registry,
	})
	if err != nil {
		return nil, err
	}
	env.OnReload(s.Reload)
	return service.Serve(env.NC, service.Info{Name: service.Ingress, Description: "receives provider webhooks and stores them before 2xx", Logger: log}, s)
}
