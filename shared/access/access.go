// Package access decides what an admin API caller may do. A bearer token
// maps to a Principal: a name (for the audit trail — never the token), the
// tenants it may see (all when unrestricted) and a role. RoleRead may only
// read (GET, HEAD); RoleOperate may also act (replay, reconcile, export,
// resume…). Every admin route sits behind Set.Middleware, which answers
// 401 for an unknown token and 403 for a read token on any other method or
// for a {tenant} path segment outside the token's tenants; handlers whose
// tenant comes from a query or a body check it with Allow.
package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/countersign/countersign/shared/httpjson"
)

// Role is what a token may do.
type Role string

// The roles of admin tokens.
const (
	// RoleRead may read: GET and HEAD requests only.
	RoleRead Role = "read"
	// RoleOperate may also act: replay, reconcile, export, resume.
	RoleOperate Role = "operate"
)

// Token is one configured admin token.
type Token struct {
	// Name labels the token in the audit trail and in logs.
	Name string
	// Secret is the bearer token itself.
	Secret string
	// Tenants limits the token to these tenants; empty means every tenant.
	Tenants []string
	// Role is RoleRead or RoleOperate (empty = RoleOperate).
	Role Role
}

// Principal is who a request acts as.
type Principal struct {
	// Name is the token's name: safe to log and to record.
	Name string
	// Tenants are the tenants it may touch; nil means every tenant.
	Tenants []string
	Role    Role
}

// AllTenants reports whether p is not limited to some tenants.
func (p Principal) AllTenants() bool { return p.Tenants == nil }

// CanTenant reports whether p may see or act on tenant.
func (p Principal) CanTenant(tenant string) bool {
	return p.Tenants == nil || slices.Contains(p.Tenants, tenant)
}

// CanOperate reports whether p may act, not only read.
func (p Principal) CanOperate() bool { return p.Role == RoleOperate }

// Set is an immutable set of tokens. Swap a new Set in to change tokens
// while serving (see Holder).
type Set struct {
	entries []entry
}

type entry struct {
	digest    [sha256.Size]byte
	principal Principal
}

// NewSet returns the set of the non-empty tokens.
func NewSet(tokens []Token) *Set {
	s := &Set{}
	for _, t := range tokens {
		if t.Secret == "" {
			continue
		}
		p := Principal{Name: t.Name, Role: t.Role}
		if p.Role == "" {
			p.Role = RoleOperate
		}
		if len(t.Tenants) > 0 {
			p.Tenants = slices.Clone(t.Tenants)
		}
		s.entries = append(s.entries, entry{digest: sha256.Sum256([]byte(t.Secret)), principal: p})
	}
	return s
}

// Len is the number of tokens in the set.
func (s *Set) Len() int { return len(s.entries) }

// Authenticate returns the principal of r's "Authorization: Bearer"
// token. Tokens are compared as SHA-256 digests with crypto/subtle, and
// against every token without stopping at a match, so neither a token's
// content nor its length nor its position leaks through timing.
func (s *Set) Authenticate(r *http.Request) (Principal, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	// RFC 7235: the auth scheme is case-insensitive.
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	found := -1
	for i, e := range s.entries {
		if subtle.ConstantTimeCompare(got[:], e.digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, false
	}
	return s.entries[found].principal, true
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal Middleware stored, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Allow reports whether the request's principal may touch tenant and, if
// not, answers 403. An empty tenant means "every tenant" (a DLQ listing
// without a tenant filter, say): only an unrestricted token may ask that.
// A request without a principal (a handler mounted outside Middleware) is
// refused, so a wiring mistake fails closed.
func Allow(w http.ResponseWriter, r *http.Request, tenant string) bool {
	p, ok := FromContext(r.Context())
	switch {
	case !ok:
		Forbid(w, "no principal (route not behind the admin token)")
		return false
	case tenant == "" && !p.AllTenants():
		Forbid(w, "token "+p.Name+" is limited to tenants "+strings.Join(p.Tenants, ", ")+": name one")
		return false
	case tenant != "" && !p.CanTenant(tenant):
		Forbid(w, "token "+p.Name+" may not access tenant "+tenant)
		return false
	}
	return true
}

// RequireOperate wraps an action route so that only operate tokens reach
// it. Middleware already refuses read tokens on every method but GET and
// HEAD; routes that act on GET (none should) or that want the rule stated
// where they are registered use this.
func RequireOperate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := FromContext(r.Context()); !ok || !p.CanOperate() {
			Forbid(w, "this action needs a token with role operate")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Forbid answers 403 with the admin API's JSON error shape.
func Forbid(w http.ResponseWriter, msg string) {
	httpjson.Error(w, http.StatusForbidden, msg)
}

// Trusted serves next as an unrestricted operate principal named
// "trusted": for tests of routes that sit behind Guard in production, and
// for in-process callers that authenticated by other means.
func Trusted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := Principal{Name: "trusted", Role: RoleOperate}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}
