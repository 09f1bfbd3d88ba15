package config

import (
	"fmt"
	"slices"
)

// Admin token roles (CONTRACT.md "Security and rotation").
const (
	// RoleRead may only read the admin API (GET).
	RoleRead = "read"
	// RoleOperate may also replay, reconcile, export and resume.
	RoleOperate = "operate"
)

// AdminToken is one entry of admin.tokens. In YAML it is either a plain
// secret string — a token for every tenant with role operate — or a
// mapping {token, tenants, role, name}.
type AdminToken struct {
	// Token is the bearer token (a secret: literal, env:NAME or file:PATH).
	Token Secret `yaml:"token"`
	// Tenants limits the token to these tenant ids; empty = every tenant.
	Tenants []string `yaml:"tenants"`
	// Role is "read" or "operate" (default operate).
	Role string `yaml:"role"`
	// Name labels the token in the audit trail and logs (it is never the
	// token). Default "token#<index>".
	Name string `yaml:"name"`
}

// shorthand marks AdminToken as decodable from a scalar: the scalar is
// its Token (see decoder.decode).
func (*AdminToken) shorthand() any { return nil }

// scalarShorthand is implemented by config types that may be written as a
// single scalar standing for their first field.
type scalarShorthand interface{ shorthand() any }

func (v *validator) adminTokens(a *Admin, tenants []Tenant) {
	if len(a.Tokens) == 0 {
		v.add("admin.tokens", "at least one admin token is required (the admin API accepts no request without one)")
	}
	names := map[string]string{}
	for i, t := range a.Tokens {
		path := fmt.Sprintf("admin.tokens[%d]", i)
		if t.Token.Value() == "" {
			v.add(path, "empty token")
		}
		if t.Role != "" && t.Role != RoleRead && t.Role != RoleOperate {
			v.add(path+".role", "unknown role %q (want read or operate)", t.Role)
		}
		if prev, dup := names[t.Name]; dup && t.Name != "" {
			v.add(path+".name", "duplicate token name %q (also %s): the audit trail could not tell them apart", t.Name, prev)
		}
		names[t.Name] = path
		for j, id := range t.Tenants {
			if !slices.ContainsFunc(tenants, func(x Tenant) bool { return x.ID == id }) {
				v.add(fmt.Sprintf("%s.tenants[%d]", path, j), "unknown tenant %q", id)
			}
		}
	}
}

// applyDefaults names unnamed tokens by position and gives them the
// operate role, as a plain-string token has.
func (a *Admin) applyDefaults() {
	for i := range a.Tokens {
		t := &a.Tokens[i]
		if t.Name == "" {
			t.Name = fmt.Sprintf("token#%d", i)
		}
		if t.Role == "" {
			t.Role = RoleOperate
		}
	}
}
