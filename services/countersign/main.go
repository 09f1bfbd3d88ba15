// Command countersign runs every countersign service in one process, over
// an embedded NATS server unless --nats-url names one.
package main

import (
	"os"

	"github.com/countersign/countersign/services/countersign/app"
	"github.com/countersign/countersign/shared/process"
)

func main() { os.Exit(process.Main("countersign", app.Options, app.Build)) }
