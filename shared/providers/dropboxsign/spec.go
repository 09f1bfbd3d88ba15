package dropboxsign

import (
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of its provider kind (registry.All).
var Kind = kinds.Kind{
	Name:    providers.KindDropboxSign,
	Fields:  []string{"api_key", "api_keys", "api", "reconcile"},
	Adapter: kinds.Adapter(New),
	Client:  kinds.Client(NewClient),
}
