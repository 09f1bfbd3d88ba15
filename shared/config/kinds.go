package config

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ProviderKind is what config needs to know of a provider kind: its name,
// the kind-specific Provider fields it uses, and its own checks of them.
// The provider packages declare it (their kinds.Kind), so the rules of a
// provider's settings live with the provider.
type ProviderKind struct {
	// Name is the kind as configured ("docusign").
	Name string
	// Fields are the kind-specific Provider fields the kind uses; config
	// refuses the others. A kind using "name" is identified under its
	// tenant by that name, every other by its kind (Provider.ID).
	Fields []string
	// Check returns the problems with p's kind-specific fields. Each
	// FieldError's Path is relative to the provider ("secrets[0]",
	// "api.token") and Problem names no secret's value; config adds the
	// file, the full path and the line. Nil checks nothing more.
	Check func(p *Provider) []FieldError
}

var (
	kindsMu       sync.RWMutex
	providerKinds []ProviderKind
)

// SetProviderKinds sets the provider kinds Validate, ApplyDefaults and
// Provider.ID know. The provider registry calls it once, from its init:
// the provider packages import config for its types, so config cannot
// import them, and every place that loads a config (each process's
// start-up, the test harness) already links the registry to build the
// adapters — a parameter would have to be threaded through every Load.
func SetProviderKinds(ks []ProviderKind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	providerKinds = slices.Clone(ks)
}

// kinds returns the registered provider kinds. A config with providers
// read by a program that never linked the registry is a programming
// error; it panics saying so rather than call every kind unknown.
func kinds() []ProviderKind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	if len(providerKinds) == 0 {
		panic("config: no provider kinds registered (import github.com/countersign/countersign/shared/providers/registry)")
	}
	return providerKinds
}

// kindNamed returns the registered kind called name.
func kindNamed(name string) (ProviderKind, bool) {
	for _, k := range kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return ProviderKind{}, false
}

// kindNames lists the registered kinds' names for messages.
func kindNames() string {
	var names []string
	for _, k := range kinds() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

// usesField reports whether kind uses the kind-specific field.
func usesField(kind, field string) bool {
	k, ok := kindNamed(kind)
	return ok && slices.Contains(k.Fields, field)
}

// ID returns the provider's name under its tenant: the URL path segment
// and the provider of its events. It is the configured name for a kind
// that has one (hmac), the kind for every other kind.
func (p *Provider) ID() string {
	if usesField(p.Kind, "name") {
		return p.Name
	}
	return p.Kind
}

// NonNegative returns a problem at field when x is negative, for a kind's
// Check.
func NonNegative(field string, x float64) []FieldError {
	if x < 0 {
		return []FieldError{{Path: field, Problem: "must not be negative"}}
	}
	return nil
}

// Rotated checks a secret that may be written once (field) or as a list
// (field + "s") for rotation: at least one is required, none empty.
func Rotated(field string, one Secret, many []Secret, kind string) []FieldError {
	var out []FieldError
	if one.IsZero() && len(many) == 0 {
		out = append(out, FieldError{Path: field, Problem: fmt.Sprintf("required for kind %s (or %ss: [...] to rotate)", kind, field)})
	}
	if !one.IsZero() && one.Value() == "" {
		out = append(out, FieldError{Path: field, Problem: "empty"})
	}
	for i, s := range many {
		if s.Value() == "" {
			out = append(out, FieldError{Path: fmt.Sprintf("%ss[%d]", field, i), Problem: "empty"})
		}
	}
	return out
}

// From names a secret's reference for messages (" (from env:X)"), never
// its value; empty for a literal.
func From(s Secret) string { return from(s) }

// ValidWebhookSecret reports whether s is "whsec_" and non-empty base64,
// as Standard Webhooks defines it.
func ValidWebhookSecret(s string) bool { return validWebhookSecret(s) }
