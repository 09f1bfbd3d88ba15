package ingress

import (
	"context"
	"fmt"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/service"
	"github.com/countersign/countersign/shared/tlsconf"
)

// FromEnv builds the ingress of a process, registered as the
// countersign-ingress micro service: the all-in-one and cmd/ingress share
// this wiring.
func FromEnv(ctx context.Context, env *process.Env) (process.Runner, error) {
	log := env.Logger.With("service", service.Ingress)
	cfg := Config{
		Addr: env.Settings.IngressAddr, File: env.File, JS: env.JS,
		Logger: log, Registry: env.Registry,
		Health: env.Health, Gatherer: env.Registry,
	}
	if env.File.Ingress.TLS != nil {
		certs, err := tlsconf.New(env.File.Ingress.TLS)
		if err != nil {
			return nil, fmt.Errorf("ingress.tls: %w", err)
		}
		cfg.TLS = certs.Config()
		env.OnReload(func(f *config.File) (func(), error) { return certs.Reload(f.Ingress.TLS) })
	}
	s, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	env.OnReload(s.Reload)
	return service.Serve(env.NC, service.Info{Name: service.Ingress, Description: "receives provider webhooks and stores them before 2xx", Logger: log}, s)
}
