// Command admin runs countersign's admin service alone, against the NATS named
// by --nats-url; replicas are independent.
package main

import (
	"os"

	"github.com/countersign/countersign/services/admin"
	"github.com/countersign/countersign/shared/process"
)

func main() { os.Exit(process.Main("admin", process.Options{}, admin.FromEnv)) }
