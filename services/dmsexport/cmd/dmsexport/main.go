// Command dmsexport runs countersign's DMS exporter alone, against the
// NATS named by --nats-url; replicas share its durable consumers and its
// export endpoints.
package main

import (
	"os"

	"github.com/countersign/countersign/services/dmsexport"
	"github.com/countersign/countersign/shared/process"
)

func main() {
	os.Exit(process.Main("dmsexport", dmsexport.Options, process.WithDeadLetters(dmsexport.FromEnv)))
}
