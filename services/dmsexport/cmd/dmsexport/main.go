// Command dmsexport runs countersign's DMS exporter alone, against the
// NATS named by --nats-url; replicas share its durable consumers.
package main

import (
	"context"
	"os"

	"github.com/countersign/countersign/services/dmsexport"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("dmsexport", dmsexport.Options, func(ctx context.Context, env *process.Env) (process.Runner, error) {
		return dmsexport.FromEnv(ctx, env)
	}))
}
