package admin

import (
	"context"

	"github.com/countersign/countersign/shared/process"
)

// FromEnv builds the admin API of a process: the all-in-one and cmd/admin
// share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (*Service, error) {
	tokens := make([]string, 0, len(env.File.Admin.Tokens))
	for _, t := range env.File.Admin.Tokens {
		tokens = append(tokens, t.Value())
	}
	return New(ctx, Config{
		Addr: env.Settings.AdminAddr, Tokens: tokens, JS: env.JS,
		Logger: env.Logger.With("service", "admin"), Registry: env.Registry, Health: env.Health,
	})
}
