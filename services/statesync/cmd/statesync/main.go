// Command statesync runs countersign's statesync service alone, against the NATS (and
// Redis) named by --nats-url (and --redis-url); replicas share its durable
// consumer. The process also dead-letters what its consumers gave up on.
package main

import (
	"os"

	"github.com/countersign/countersign/services/statesync"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("statesync", statesync.Options, process.WithDeadLetters(statesync.FromEnv)))
}
