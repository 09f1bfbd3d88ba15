// Command ingress runs countersign's ingress service alone, against the NATS named
// by --nats-url; replicas are independent.
package main

import (
	"os"

	"github.com/countersign/countersign/services/ingress"
	"github.com/countersign/countersign/shared/process"
)

func main() { os.Exit(process.Main("ingress", process.Options{}, ingress.FromEnv)) }
