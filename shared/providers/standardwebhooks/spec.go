package standardwebhooks

import (
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of its provider kind (registry.All).
var Kind = kinds.Kind{
	Name:    providers.KindStandardWebhooks,
	Fields:  []string{"secrets", "tolerance"},
	Adapter: kinds.Adapter(New),
}
