// Package registry lists every provider kind countersign knows (each
// package's kinds.Kind) and builds a configured provider's adapter and
// API client by looking its kind up there.
package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/adobesign"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/docusign"
	"github.com/countersign/countersign/shared/providers/dropboxsign"
	"github.com/countersign/countersign/shared/providers/esignanywhere"
	"github.com/countersign/countersign/shared/providers/hmac"
	"github.com/countersign/countersign/shared/providers/kinds"
	"github.com/countersign/countersign/shared/providers/standardwebhooks"
)

// ErrUnknownKind is returned (wrapped, with the kind and the known kinds)
// for a kind countersign has no adapter for.
var ErrUnknownKind = errors.New("registry: unknown provider kind")

// All is every provider kind, in providers.Kinds order.
var All = []kinds.Kind{
	standardwebhooks.Kind,
	docusign.Kind,
	dropboxsign.Kind,
	adobesign.Kind,
	esignanywhere.Kind,
	hmac.Kind,
}

func init() {
	// config checks each provider through its kind; it cannot import the
	// provider packages (they import it), so the registry tells it once.
	ks := make([]config.ProviderKind, len(All))
	for i, k := range All {
		ks[i] = k.Config()
	}
	config.SetProviderKinds(ks)
}

// Lookup returns the kind named name, or an error wrapping ErrUnknownKind.
func Lookup(name string) (kinds.Kind, error) {
	for _, k := range All {
		if k.Name == name {
			return k, nil
		}
	}
	return kinds.Kind{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, name, strings.Join(providers.Kinds, ", "))
}

// New returns the adapter for cfg.Kind built from cfg. Errors from the
// adapter's constructor come back wrapped, prefixed with the kind.
func New(cfg config.Provider) (providers.Adapter, error) {
	k, err := Lookup(cfg.Kind)
	if err != nil {
		return nil, err
	}
	a, err := k.Adapter(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Kind, err)
	}
	return a, nil
}

// Client returns the API client for cfg, or (nil, nil) when cfg has no
// api: section (its callbacks are then taken as parsed). It returns an
// error wrapping providers.ErrNoAPI for a kind without a standard API and
// ErrUnknownKind for a kind it does not know.
func Client(cfg config.Provider, o apiclient.Options) (providers.StatusClient, error) {
	if cfg.API == nil {
		return nil, nil
	}
	k, err := Lookup(cfg.Kind)
	if err != nil {
		return nil, err
	}
	if k.Client == nil {
		return nil, fmt.Errorf("%s: %w", cfg.Kind, providers.ErrNoAPI)
	}
	return k.Client(cfg, o)
}
