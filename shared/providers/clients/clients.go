// Package clients builds the provider API client of a configured provider
// (registry.Client: a lookup of the provider's kinds.Kind).
package clients

import (
	"errors"
	"fmt"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/registry"
)

// New returns the StatusClient for cfg, or (nil, nil) when cfg has no
// api: section (its callbacks are then taken as parsed). DocuSign's and
// Dropbox Sign's clients also implement providers.ChangeLister. It returns
// an error wrapping providers.ErrNoAPI for a kind without a standard API
// (Standard Webhooks, generic HMAC) and ErrUnknownKind for a kind it does not know.
func New(cfg config.Provider, o apiclient.Options) (providers.StatusClient, error) {
	c, err := registry.Client(cfg, o)
	if errors.Is(err, registry.ErrUnknownKind) {
		return nil, fmt.Errorf("clients: %w: %q", ErrUnknownKind, cfg.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	return c, nil
}
