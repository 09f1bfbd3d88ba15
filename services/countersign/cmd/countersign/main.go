// Command countersign is the all-in-one binary (same as the module root).
// an embedded NATS server unless --nats-url names one.
package main

import (
	"os"

	"github.com/countersign/countersign/services/countersign/app"
	"github.com/countersign/countersign/shared/process"
)

func main() { os.Exit(process.Main("countersign", app.Options, app.Build)) }
