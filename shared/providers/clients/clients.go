// Package clients builds the provider API client of a configured provider:
// the one place that knows which kinds have an API countersign can ask.
package clients

import (
	"fmt"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/adobesign"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/docusign"
	"github.com/countersign/countersign/shared/providers/dropboxsign"
	"github.com/countersign/countersign/shared/providers/esignanywhere"
)

// New returns the StatusClient for cfg, or (nil, nil) when cfg has no
// api: section (its callbacks are then taken as parsed). DocuSign's and
// Dropbox Sign's clients also implement providers.ChangeLister. It returns
// an error wrapping providers.ErrNoAPI for a kind without a standard API
// (Standard Webhooks, generic HMAC) and ErrUnknownKind for a kind it does not know.
func New(cfg config.Provider, o apiclient.Options) (providers.StatusClient, error) {
	if cfg.API == nil {
		return nil, nil
	}
	var (
		c   providers.StatusClient
		err error
	)
	// Each constructor's result is checked before it becomes an interface:
	// a nil *Client inside a StatusClient would not compare equal to nil.
	switch cfg.Kind {
	case providers.KindDocuSign:
		c, err = wrap(docusign.NewClient(cfg, o))
	case providers.KindDropboxSign:
		c, err = wrap(dropboxsign.NewClient(cfg, o))
	case providers.KindAdobeSign:
		c, err = wrap(adobesign.NewClient(cfg, o))
	case providers.KindESignAnyWhere:
		c, err = wrap(esignanywhere.NewClient(cfg, o))
	case providers.KindStandardWebhooks, providers.KindHMAC:
		return nil, fmt.Errorf("clients: %s: %w", cfg.Kind, providers.ErrNoAPI)
	default:
		return nil, fmt.Errorf("clients: %w: %q", ErrUnknownKind, cfg.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	return c, nil
}

// wrap turns a constructor's concrete result into an interface, nil on
// error.
func wrap[C providers.StatusClient](c C, err error) (providers.StatusClient, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}
