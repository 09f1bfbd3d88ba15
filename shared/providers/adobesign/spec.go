package adobesign

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of its provider kind (registry.All).
var Kind = kinds.Kind{
	Name:    providers.KindAdobeSign,
	Fields:  []string{"client_ids", "api", "reconcile"},
	Check:   check,
	Adapter: kinds.Adapter(New),
	Client:  kinds.Client(NewClient),
}

// check requires the client ids callbacks are checked against, and an
// API token.
func check(p *config.Provider) []config.FieldError {
	var out []config.FieldError
	if len(p.ClientIDs) == 0 {
		out = append(out, kinds.Problem("client_ids", "at least one client id is required for kind %s", p.Kind))
	}
	for i, id := range p.ClientIDs {
		if id == "" {
			out = append(out, kinds.Problem(fmt.Sprintf("client_ids[%d]", i), "empty client id"))
		}
	}
	out = append(out, kinds.APIToken(p)...)
	return append(out, kinds.NoAccountID(p)...)
}
