// Command notifier runs countersign's notifier alone, against the NATS
// named by --nats-url; replicas share its durable consumers and answer
// its control requests in a queue group.
package main

import (
	"context"
	"os"

	"github.com/countersign/countersign/services/notifier"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("notifier", notifier.Options, func(ctx context.Context, env *process.Env) (process.Runner, error) {
		return notifier.FromEnv(ctx, env)
	}))
}
