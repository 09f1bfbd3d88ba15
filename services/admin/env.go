package admin

import (
	"context"

	"github.com/countersign/countersign/services/reconciler"
	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/process"
)

// FromEnv builds the admin API of a process: the all-in-one and cmd/admin
// share this wiring. POST /v1/reconcile is the reconciler's, behind the
// token; in the all-in-one it is the running reconciler (reconciler.FromEnv
// builds one per process), standalone the admin runs the round itself
// under the same per-provider lease as the reconciler replicas. The DLQ
// browse and replay routes (dlq.go) are mounted beside it.
func FromEnv(ctx context.Context, env *process.Env) (*Service, error) {
	rec, err := reconciler.FromEnv(ctx, env)
	if err != nil {
		return nil, err
	}
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
	return New(ctx, Config{
		Addr: env.Settings.AdminAddr, Access: tokens, JS: env.JS,
		Logger: env.Logger.With("service", "admin"), Registry: env.Registry, Health: env.Health,
		Mount: mountAll(rec.Mount, dlqMount),
	})
}
