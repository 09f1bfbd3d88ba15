// Command verifier runs countersign's verifier service alone, against the NATS (and
// Redis) named by --nats-url (and --redis-url); replicas share its durable
// consumer.
package main

import (
	"context"
	"os"

	"github.com/countersign/countersign/services/verifier"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("verifier", process.Options{}, func(ctx context.Context, env *process.Env) (process.Runner, error) {
		return verifier.FromEnv(ctx, env)
	}))
}
