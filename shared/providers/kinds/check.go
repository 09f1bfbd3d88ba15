package kinds

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
)

// Problem is one problem at field (below the provider) for a Check.
func Problem(field, format string, args ...any) config.FieldError {
	return config.FieldError{Path: field, Problem: fmt.Sprintf(format, args...)}
}

// APIToken checks api.token of a provider with an api: section whose
// kind authenticates its API calls with that bearer token.
func APIToken(p *config.Provider) []config.FieldError {
	if p.API != nil && p.API.Token.Value() == "" {
		return []config.FieldError{Problem("api.token", "required for kind %s", p.Kind)}
	}
	return nil
}

// NoAccountID refuses api.account_id for a kind whose API paths do not
// include one.
func NoAccountID(p *config.Provider) []config.FieldError {
	if p.API != nil && p.API.AccountID != "" {
		return []config.FieldError{Problem("api.account_id", "account_id does not apply to kind %s", p.Kind)}
	}
	return nil
}
