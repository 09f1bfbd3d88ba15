package standardwebhooks

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of its provider kind (registry.All).
var Kind = kinds.Kind{
	Name:    providers.KindStandardWebhooks,
	Fields:  []string{"secrets", "tolerance"},
	Check:   check,
	Adapter: kinds.Adapter(New),
}

// check requires whsec_ secrets and a tolerance that is not negative.
func check(p *config.Provider) []config.FieldError {
	var out []config.FieldError
	if len(p.Secrets) == 0 {
		out = append(out, kinds.Problem("secrets", "at least one whsec_ secret is required for kind %s", p.Kind))
	}
	for i, s := range p.Secrets {
		if !config.ValidWebhookSecret(s.Value()) {
			out = append(out, kinds.Problem(fmt.Sprintf("secrets[%d]", i), "malformed secret%s (want whsec_ followed by base64)", config.From(s)))
		}
	}
	return append(out, config.NonNegative("tolerance", float64(p.Tolerance))...)
}
