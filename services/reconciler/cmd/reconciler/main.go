// Command reconciler runs countersign's reconciler alone, against the NATS
// named by --nats-url; replicas take turns per (tenant, provider) through
// a lease and share its reconcile endpoint.
package main

import (
	"os"

	"github.com/countersign/countersign/services/reconciler"
	"github.com/countersign/countersign/shared/process"
)

func main() { os.Exit(process.Main("reconciler", reconciler.Options, reconciler.FromEnv)) }
