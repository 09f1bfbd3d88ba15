// Command ingress runs countersign's ingress service alone, against the NATS (and
// Redis) named by --nats-url (and --redis-url); replicas share its durable
// consumer.
package main

import (
	"context"
	"os"

	"github.com/countersign/countersign/services/ingress"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("ingress", process.Options{}, func(ctx context.Context, env *process.Env) (process.Runner, error) {
		return ingress.FromEnv(ctx, env)
	}))
}
