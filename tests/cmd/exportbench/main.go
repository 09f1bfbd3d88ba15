// Command exportbench measures the DMS export (part of `go tool task
// bench`): N documents exported into each target against a plain copy to
// the same disk, and the exporter's extra RSS for one large document.
// It writes the figures as JSON and prints them.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/countersign/countersign/tests/exportbench"
)

func main() { os.Exit(run()) }

func run() int {
	var (
		binary  = flag.String("binary", "bin/dmsexport", "the standalone dmsexport binary")
		out     = flag.String("out", "export-bench-results.json", "where to write the figures")
		n       = flag.Int("n", 1000, "documents exported per target")
		sizeMiB = flag.Int64("size-mib", 1, "size of each document, MiB")
		bigMiB  = flag.Int64("big-mib", 200, "size of the document of the RSS phase, MiB")
		targets = flag.String("targets", "file,nats-object,s3", "comma-separated targets")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := exportbench.Run(ctx, exportbench.Options{
		Binary: *binary, N: *n, Size: *sizeMiB << 20, BigSize: *bigMiB << 20,
		Targets: strings.Split(*targets, ","), Log: os.Stdout,
	})
	if res != nil {
		b, _ := json.MarshalIndent(res, "", "  ")
		if werr := os.WriteFile(*out, append(b, '\n'), 0o644); werr != nil {
			fmt.Fprintf(os.Stderr, "exportbench: %v\n", werr)
			return 1
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "exportbench: %v\n", err)
		return 1
	}
	for _, m := range res.Memory {
		if m.ExtraRSS > 64<<20 {
			fmt.Fprintf(os.Stderr, "exportbench: %s: a %d MiB document cost %d MiB extra RSS (budget 64 MB)\n", m.Target, m.DocumentBytes>>20, m.ExtraRSS>>20)
			return 1
		}
	}
	return 0
}
