// Package app is countersign's composition root: it wires every service
// into one process — the all-in-one binary, the demo and the integration
// tests all run it. Services import shared, never each other; what one
// asks of another (the admin API's reconcile and export) goes over NATS, so the
// same wiring holds when they run as separate processes.
package app

import (
	"context"

	"github.com/countersign/countersign/services/admin"
	"github.com/countersign/countersign/services/dmsexport"
	"github.com/countersign/countersign/services/ingress"
	"github.com/countersign/countersign/services/notifier"
	"github.com/countersign/countersign/services/reconciler"
	"github.com/countersign/countersign/services/statesync"
	"github.com/countersign/countersign/services/verifier"
	"github.com/countersign/countersign/shared/process"
)

// Options are what process.Main needs to build an Env for the all-in-one.
// The all-in-one holds every service and the NATS server, so it carries
// the memory limit.
var Options = process.Options{AllowEmbedded: true, NeedLocker: true, MemoryLimit: process.DefaultMemoryLimit}

// Build builds every service over env, and the process's dead-letter
// watcher. Run the result until ctx is done: ingress stops accepting,
// workers stop fetching and finish what they hold, and only then does the
// caller drain NATS.
var Build = process.WithDeadLetters(buildAll)

func buildAll(ctx context.Context, env *process.Env) (process.Runner, error) {
	var g process.Group
	for _, build := range []process.BuildFunc{
		ingress.FromEnv, verifier.FromEnv, statesync.FromEnv, reconciler.FromEnv, dmsexport.FromEnv, notifier.FromEnv, admin.FromEnv,
	} {
		r, err := build(ctx, env)
		if err != nil {
			return nil, err
		}
		g = append(g, r)
	}
	return g, nil
}
