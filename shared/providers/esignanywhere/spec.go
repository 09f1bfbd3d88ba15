package esignanywhere

import (
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of its provider kind (registry.All).
var Kind = kinds.Kind{
	Name:    providers.KindESignAnyWhere,
	Fields:  []string{"callback_token", "callback_tokens", "api", "reconcile"},
	Check:   check,
	Adapter: kinds.Adapter(New),
	Client:  kinds.Client(NewClient),
}

// check requires a callback_token (or callback_tokens while rotating),
// and an API token.
func check(p *config.Provider) []config.FieldError {
	out := config.Rotated("callback_token", p.CallbackToken, p.CallbackTokens, p.Kind)
	out = append(out, kinds.APIToken(p)...)
	return append(out, kinds.NoAccountID(p)...)
}
