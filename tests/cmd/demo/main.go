// Command demo is `go tool task demo`: it starts the countersign
// all-in-one binary on free loopback ports with a generated config, plays
// all six providers (PandaDoc as a generic hmac provider) against it from
// the sandbox — duplicates, reordering,
// redeliveries, forgeries and a few dropped callbacks — while serving the
// providers' APIs to it, waits for convergence and prints a convergence
// report. Alongside, a tenant with a notification playbook (compressed
// reminders, an escalation, an alternate, an email channel to a local
// SMTP server) shows reminders stopping at signature, an escalation and
// a replacement, and what was mailed. It exits 1 when envelopes did not
// converge, a forgery was accepted, a ledger does not verify, an export
// is missing or the playbook did not play out.
//
//	demo --binary bin/countersign [--envelopes 200] [--seed 1]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/countersign/countersign/tests/demo"
)

func main() { os.Exit(run()) }

func run() int {
	var o demo.Options
	flag.StringVar(&o.Binary, "binary", "bin/countersign", "the countersign all-in-one binary")
	flag.IntVar(&o.Envelopes, "envelopes", 200, "envelopes to generate, spread over the six providers")
	flag.Int64Var(&o.Seed, "seed", 1, "random seed (same seed, same envelopes and faults)")
	flag.Float64Var(&o.DropPct, "drop", 0.03, "share of callbacks the providers lose")
	flag.Float64Var(&o.DuplicatePct, "dup", 0.15, "share of callbacks delivered twice")
	flag.Float64Var(&o.LostAckPct, "lost-ack", 0.05, "share of acknowledged callbacks redelivered anyway")
	flag.Float64Var(&o.ForgedPct, "forged", 0.05, "share of callbacks followed by a forged delivery")
	flag.IntVar(&o.Redeliveries, "redeliveries", 5, "retries of an unacknowledged callback (1-30)")
	flag.DurationVar(&o.Wait, "wait", 60*time.Second, "bound on the wait for convergence")
	flag.DurationVar(&o.ReconcileGrace, "reconcile-grace", 30*time.Second, "extra wait for envelopes that need reconciliation")
	flag.DurationVar(&o.Outage.Start, "outage-start", 300*time.Millisecond, "start of the provider outage window, from the start of firing")
	flag.DurationVar(&o.Outage.End, "outage-end", 450*time.Millisecond, "end of the outage window (every callback inside it is lost; 0 = no outage)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := demo.Run(ctx, o)
	if res != nil {
		res.Print(os.Stdout)
	}
	if err == nil && res != nil {
		err = res.Err()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return 1
	}
	return 0
}
