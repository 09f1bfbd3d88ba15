package docusign

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of its provider kind (registry.All).
var Kind = kinds.Kind{
	Name:    providers.KindDocuSign,
	Fields:  []string{"hmac_keys", "api", "reconcile"},
	Check:   check,
	Adapter: kinds.Adapter(New),
	Client:  kinds.Client(NewClient),
}

// check requires Connect HMAC keys, and an API token and account id (API
// paths include it).
func check(p *config.Provider) []config.FieldError {
	var out []config.FieldError
	if len(p.HMACKeys) == 0 {
		out = append(out, kinds.Problem("hmac_keys", "at least one Connect HMAC key is required for kind %s", p.Kind))
	}
	for i, k := range p.HMACKeys {
		if k.Value() == "" {
			out = append(out, kinds.Problem(fmt.Sprintf("hmac_keys[%d]", i), "empty key"))
		}
	}
	out = append(out, kinds.APIToken(p)...)
	if p.API != nil && p.API.AccountID == "" {
		out = append(out, kinds.Problem("api.account_id", "required for kind %s (API paths include it)", p.Kind))
	}
	return out
}
