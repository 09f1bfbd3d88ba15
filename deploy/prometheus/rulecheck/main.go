// Command rulecheck validates Prometheus rule files the way Prometheus
// loads them: YAML shape, PromQL of every expr, templates of every
// annotation. promtool does the same, but does not build from the module
// proxy; this needs only `go run`:
//
//	cd deploy/prometheus/rulecheck && GOWORK=off go run . ../alerts.yaml
//
// It is its own module, outside the go.work workspace, so the
// Prometheus server's dependencies stay out of countersign's.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rulecheck RULEFILE...")
		os.Exit(2)
	}
	bad := false
	for _, path := range os.Args[1:] {
		groups, errs := rulefmt.ParseFile(path, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.Default())
		for _, err := range errs {
			fmt.Fprintln(os.Stderr, err)
			bad = true
		}
		if len(errs) == 0 {
			n := 0
			for _, g := range groups.Groups {
				n += len(g.Rules)
			}
			fmt.Printf("%s: %d groups, %d rules: ok\n", path, len(groups.Groups), n)
		}
	}
	if bad {
		os.Exit(1)
	}
}
