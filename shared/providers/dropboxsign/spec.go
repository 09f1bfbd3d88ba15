package dropboxsign

import (
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of its provider kind (registry.All).
var Kind = kinds.Kind{
	Name:    providers.KindDropboxSign,
	Fields:  []string{"api_key", "api_keys", "api", "reconcile"},
	Check:   check,
	Adapter: kinds.Adapter(New),
	Client:  kinds.Client(NewClient),
}

// check requires an api_key (or api_keys while rotating); the api_key is
// also the API credential, so api.token does not apply.
func check(p *config.Provider) []config.FieldError {
	out := config.Rotated("api_key", p.APIKey, p.APIKeys, p.Kind)
	if p.API != nil && !p.API.Token.IsZero() {
		out = append(out, kinds.Problem("api.token", "token does not apply to kind %s (its api_key is the API credential)", p.Kind))
	}
	return append(out, kinds.NoAccountID(p)...)
}
