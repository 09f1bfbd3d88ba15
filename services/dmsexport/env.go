package dmsexport

import (
	"context"

	"github.com/countersign/countersign/shared/process"
)

// Options are what process.Main needs for the exporter (no dedupe locks:
// export records are written by compare-and-set).
var Options = process.Options{}

// FromEnv builds the exporter of a process: the all-in-one and
// cmd/dmsexport share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (*Service, error) {
	return New(ctx, Config{
		File: env.File, JS: env.JS, NC: env.NC, Logger: env.Logger.With("service", "dmsexport"),
		Registry: env.Registry, WorkerMetrics: env.WorkerMetrics, Topology: env.Topology,
	})
}
