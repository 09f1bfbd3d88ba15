// Command countersignctl is the operator's command line for countersign's
// admin API: envelope state, local ledger verification, the DLQ and replay,
// reconciliation, exports and the notifier. `countersignctl help` lists the
// commands; CONTRACT.md's "CLI" section fixes their shape and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/countersign/countersign/services/countersignctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := countersignctl.Run(ctx, os.Args[1:], countersignctl.IO{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
