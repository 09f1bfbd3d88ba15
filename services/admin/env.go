package admin

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/service"
	"github.com/countersign/countersign/shared/tlsconf"
)

// forwardTimeout bounds a request the admin API forwards to a service's
// endpoint; it stays under the HTTP server's write timeout.
const forwardTimeout = 55 * time.Second

// FromEnv builds the admin API of a process, registered as the
// countersign-admin micro service: the all-in-one and cmd/admin share this
// wiring. Behind the token it mounts the DLQ browse and replay routes
// (dlq.go), forwards POST /v1/reconcile to the reconciler's endpoint and
// the export routes (export.go) to the DMS exporter's, over NATS —
// whichever process runs them — so admin never imports another service.
func FromEnv(ctx context.Context, env *process.Env) (process.Runner, error) {
	dlqMount, err := dlqRoutes(env)
	if err != nil {
		return nil, err
	}
	tokens := access.NewHolder(TokenSet(env.File))
	env.OnReload(func(f *config.File) (func(), error) {
		set := TokenSet(f)
		if set.Len() == 0 {
			return nil, ErrNoTokens
		}
		return func() { tokens.Store(set) }, nil
	})
	var tlsConfig *tls.Config
	if env.File.Admin.TLS != nil {
		certs, err := tlsconf.New(env.File.Admin.TLS)
		if err != nil {
			return nil, fmt.Errorf("admin.tls: %w", err)
		}
		tlsConfig = certs.Config()
		env.OnReload(func(f *config.File) (func(), error) { return certs.Reload(f.Admin.TLS) })
	}
	log := env.Logger.With("service", service.Admin)
	s, err := New(ctx, Config{
		Addr: env.Settings.AdminAddr, Access: tokens, JS: env.JS, TLS: tlsConfig,
		Logger: log, Registry: env.Registry, Health: env.Health,
		Mount: mountAll(dlqMount, func(mux *http.ServeMux) {
			mux.Handle("POST /v1/reconcile", tenantScoped(service.Forward(env.NC, service.Reconciler, service.EndpointReconcile, forwardTimeout)))
		}, exportRoutes(env.NC), notifyRoutes(env.NC)),
	})
	if err != nil {
		return nil, err
	}
	return service.Serve(env.NC, service.Info{Name: service.Admin, Description: "envelope state, ledgers, DLQ and replay over HTTP", Logger: log}, s)
}
