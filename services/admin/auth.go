package admin

import (
	"fmt"
	"net/http"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/config"
)

// plainTokens turns Config.Tokens into unrestricted operate tokens.
func plainTokens(tokens []string) []access.Token {
	out := make([]access.Token, 0, len(tokens))
	for i, t := range tokens {
		out = append(out, access.Token{Name: fmt.Sprintf("token#%d", i), Secret: t, Role: access.RoleOperate})
	}
	return out
}

// TokenSet is the access set of a config file's admin.tokens.
func TokenSet(f *config.File) *access.Set {
	out := make([]access.Token, 0, len(f.Admin.Tokens))
	for _, t := range f.Admin.Tokens {
		out = append(out, access.Token{Name: t.Name, Secret: t.Token.Value(), Tenants: t.Tenants, Role: access.Role(t.Role)})
	}
	return access.NewSet(out)
}

// allTenants lets only unrestricted tokens reach next.
func allTenants(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if access.Allow(w, r, "") {
			next.ServeHTTP(w, r)
		}
	})
}
