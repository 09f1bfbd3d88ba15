package dmsexport

import (
	"context"

	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/shared/service"
)

// Options are what process.Main needs for the exporter (no dedupe locks:
// export records are written by compare-and-set).
var Options = process.Options{}

// FromEnv builds the exporter of a process, registered as the
// countersign-dmsexport micro service with its export endpoints: the
// all-in-one and cmd/dmsexport share this wiring.
func FromEnv(ctx context.Context, env *process.Env) (process.Runner, error) {
	log := env.Logger.With("service", service.DMSExport)
	s, err := New(ctx, Config{
		File: env.File, JS: env.JS, Logger: log,
		Registry: env.Registry, WorkerMetrics: env.WorkerMetrics, Topology: env.Topology,
	})
	if err != nil {
		return nil, err
	}
	env.OnReload(s.Reload)
	return service.Serve(env.NC, service.Info{
		Name: service.DMSExport, Description: "exports completed envelopes to the company's store",
		Endpoints: s.Endpoints(), Logger: log,
	}, s)
}
