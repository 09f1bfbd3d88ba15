// Command bench runs countersign's benchmark suite (`go tool task bench`):
// it starts the all-in-one binary, drives signed deliveries at it, measures
// the same load against ceiling servers, runs the Go micro-benchmarks, then
// writes the figures as JSON and prints them. With --serve-ceiling it is
// instead one of those ceiling servers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/countersign/countersign/tests/bench"
)

func main() { os.Exit(run()) }

func run() int {
	var (
		binary  = flag.String("binary", "bin/countersign", "the countersign all-in-one binary")
		out     = flag.String("out", "bench-results.json", "where to write the figures")
		repo    = flag.String("repo", ".", "repository root for the Go benchmarks (empty skips them)")
		pkgs    = flag.String("go-bench", "./shared/envelope/...,./shared/providers/...", "comma-separated packages of the Go benchmarks")
		conns   = flag.Int("conns", 64, "closed-loop keep-alive connections")
		sat     = flag.Duration("saturation", 10*time.Second, "length of each closed-loop run")
		openFor = flag.Duration("open-loop", 4*time.Second, "length of each open-loop run")
		drain   = flag.Duration("drain", 30*time.Second, "bound on the longest wait for the pipeline to catch up")
		only    = flag.String("only", "", "comma-separated subset of phases to run: open<rate>, swsat, dssat, syncsat, reconcile, bare, verify, gobench")
		profDir = flag.String("profile", "", "directory for a CPU profile of countersign per phase (<phase>.pprof, read with go tool pprof)")
		parts   = flag.Int("partitions", 0, "countersign's streams.partitions (0: its default)")
		node    = flag.String("natsnode", "", "the natsnode binary (tests/cmd/natsnode): adds the R3 phases r3open1000 and r3sat, countersign on a 3-node cluster with every stream at 3 replicas (empty skips them)")
		recFor  = flag.Duration("reconcile-timeout", 15*time.Minute, "bound on the reconcile phase's wait for STATE to be consumed")
		recN    = flag.Int("reconcile-n", 100000, "envelopes, every callback lost, the reconcile phase brings back by polling (0 skips it)")
		ceiling = flag.String("serve-ceiling", "", "serve the ceiling handler bare|verify instead of benchmarking")
		listen  = flag.String("listen", "127.0.0.1:0", "with --serve-ceiling: listen address")
		secret  = flag.String("secret", bench.SWSecret, "with --serve-ceiling verify: the whsec_ secret")
		redis   = flag.Bool("redis", true, "run countersign with its dedupe locks in a redis-server started for the run (as production does); false uses the embedded JetStream-KV locks")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *ceiling != "" {
		if err := bench.ServeCeiling(ctx, *ceiling, *listen, *secret); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			return 1
		}
		return 0
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	opts := bench.Options{
		Binary: *binary, Self: self, RepoDir: *repo, Connections: *conns,
		Saturation: *sat, OpenLoop: *openFor, Drain: *drain, ReconcileEnvelopes: *recN, ReconcileTimeout: *recFor,
		ProfileDir: *profDir, Partitions: *parts, NATSNode: *node,
	}
	if *redis {
		dir, err := os.MkdirTemp("", "countersign-bench-redis-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		url, stopRedis, err := bench.StartRedis(ctx, dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v (run with --redis=false to use the JetStream-KV locks)\n", err)
			return 1
		}
		defer stopRedis()
		opts.RedisURL = url
	}
	if *only != "" {
		opts.Only = strings.Split(*only, ",")
	}
	if *pkgs != "" {
		opts.GoBenchPackages = strings.Split(*pkgs, ",")
	}
	res, err := bench.Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	if err := res.WriteFile(*out); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	res.Print(os.Stdout)
	fmt.Printf("\nfigures written to %s\n", *out)
	return 0
}
