// Package kinds is what each provider package declares of itself: its
// kind, the config fields it uses, how its webhook adapter and its API
// client are built. Each package exports one Kind (adapter.go's
// neighbour spec.go), registry.All lists them, and building an adapter
// or an API client is one loop over that list — adding a provider kind is
// its package plus one line there.
package kinds

import (
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// Kind is one provider kind.
type Kind struct {
	// Name is the kind as configured (providers.Kind*).
	Name string
	// Fields are the kind-specific config fields a provider of this kind
	// may set (config refuses the others).
	Fields []string
	// Check returns the problems with a provider's kind-specific fields,
	// each at its path below the provider (config.ProviderKind.Check).
	Check func(p *config.Provider) []config.FieldError
	// Adapter builds the webhook adapter of a configured provider.
	Adapter func(p config.Provider) (providers.Adapter, error)
	// Client builds the provider's API client; nil for a kind without a
	// standard API (its callbacks are taken as authenticated).
	Client func(p config.Provider, o apiclient.Options) (providers.StatusClient, error)
}

// Config returns what config checks of k.
func (k Kind) Config() config.ProviderKind {
	return config.ProviderKind{Name: k.Name, Fields: k.Fields, Check: k.Check}
}

// Adapter adapts a constructor returning a concrete adapter type,
// without turning a nil pointer into a non-nil interface.
func Adapter[A providers.Adapter](build func(config.Provider) (A, error)) func(config.Provider) (providers.Adapter, error) {
	return func(p config.Provider) (providers.Adapter, error) {
		a, err := build(p)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
}

// Client adapts a constructor returning a concrete client type, as
// Adapter does.
func Client[C providers.StatusClient](build func(config.Provider, apiclient.Options) (C, error)) func(config.Provider, apiclient.Options) (providers.StatusClient, error) {
	return func(p config.Provider, o apiclient.Options) (providers.StatusClient, error) {
		c, err := build(p, o)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
