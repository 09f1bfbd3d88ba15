// Command statesync runs countersign's statesync service alone, against the NATS (and
// Redis) named by --nats-url (and --redis-url); replicas share its durable
// consumer.
package main

import (
	"context"
	"os"

	"github.com/countersign/countersign/services/statesync"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("statesync", statesync.Options, func(ctx context.Context, env *process.Env) (process.Runner, error) {
		return statesync.FromEnv(ctx, env)
	}))
}
