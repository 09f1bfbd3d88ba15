package adobesign

import (
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of its provider kind (registry.All).
var Kind = kinds.Kind{
	Name:    providers.KindAdobeSign,
	Fields:  []string{"client_ids", "api", "reconcile"},
	Adapter: kinds.Adapter(New),
	Client:  kinds.Client(NewClient),
}
