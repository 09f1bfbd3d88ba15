// Package app wires every countersign service into one process: the
// all-in-one binary, the demo and the integration tests all run it.
package app

import (
	"context"

	"github.com/countersign/countersign/services/admin"
	"github.com/countersign/countersign/services/ingress"
	"github.com/countersign/countersign/services/reconciler"
	"github.com/countersign/countersign/services/statesync"
	"github.com/countersign/countersign/services/verifier"
	"github.com/countersign/countersign/shared/dlq"
	"github.com/countersign/countersign/shared/process"
)

// Options are what process.Main needs to build an Env for the all-in-one.
var Options = process.Options{AllowEmbedded: true, NeedLocker: true}

// Build builds every service over env. Run the result until ctx is done:
// ingress stops accepting, workers stop fetching and finish what they
// hold, and only then does the caller drain NATS.
func Build(ctx context.Context, env *process.Env) (process.Runner, error) {
	in, err := ingress.FromEnv(ctx, env)
	if err != nil {
		return nil, err
	}
	ver, err := verifier.FromEnv(ctx, env)
	if err != nil {
		return nil, err
	}
	ss, err := statesync.FromEnv(ctx, env)
	if err != nil {
		return nil, err
	}
	rec, err := reconciler.FromEnv(ctx, env)
	if err != nil {
		return nil, err
	}
	// The admin API mounts the same reconciler's POST /v1/reconcile.
	adm, err := admin.FromEnv(ctx, env)
	if err != nil {
		return nil, err
	}
	// Dead-letters what a consumer gave up on without a verdict.
	watch, err := dlq.NewWatcher(dlq.WatcherConfig{
		NC: env.NC, JS: env.JS, Logger: env.Logger.With("service", "dlq"), Metrics: env.WorkerMetrics,
	})
	if err != nil {
		return nil, err
	}
	return process.Group{in, ver, ss, rec, adm, watch}, nil
}
