// Command reconciler runs countersign's reconciler alone, against the NATS
// named by --nats-url; replicas take turns per (tenant, provider) through
// a lease.
package main

import (
	"context"
	"os"

	"github.com/countersign/countersign/services/reconciler"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("reconciler", reconciler.Options, func(ctx context.Context, env *process.Env) (process.Runner, error) {
		return reconciler.FromEnv(ctx, env)
	}))
}
