// Command notifier runs countersign's notifier alone, against the NATS
// named by --nats-url; replicas share its durable consumers and answer
// its control requests in a queue group. The process also dead-letters
// what its consumers gave up on (process.WithDeadLetters).
package main

import (
	"os"

	"github.com/countersign/countersign/services/notifier"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("notifier", notifier.Options, process.WithDeadLetters(notifier.FromEnv)))
}
