// Package registry builds the adapter for a configured provider from its
// kind.
package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/adobesign"
	"github.com/countersign/countersign/shared/providers/docusign"
	"github.com/countersign/countersign/shared/providers/dropboxsign"
	"github.com/countersign/countersign/shared/providers/esignanywhere"
	"github.com/countersign/countersign/shared/providers/hmac"
	"github.com/countersign/countersign/shared/providers/standardwebhooks"
)

// ErrUnknownKind is returned (wrapped, with the kind and the known kinds)
// by New for a kind countersign has no adapter for.
var ErrUnknownKind = errors.New("registry: unknown provider kind")

// New returns the adapter for cfg.Kind built from cfg. Errors from the
// adapter's constructor come back wrapped, prefixed with the kind.
func New(cfg config.Provider) (providers.Adapter, error) {
	var (
		a   providers.Adapter
		err error
	)
	switch cfg.Kind {
	case providers.KindStandardWebhooks:
		a, err = nonNil(standardwebhooks.New(cfg))
	case providers.KindDocuSign:
		a, err = nonNil(docusign.New(cfg))
	case providers.KindDropboxSign:
		a, err = nonNil(dropboxsign.New(cfg))
	case providers.KindAdobeSign:
		a, err = nonNil(adobesign.New(cfg))
	case providers.KindESignAnyWhere:
		a, err = nonNil(esignanywhere.New(cfg))
	case providers.KindHMAC:
		a, err = nonNil(hmac.New(cfg.HMACSpec()))
	default:
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownKind, cfg.Kind, strings.Join(providers.Kinds, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Kind, err)
	}
	return a, nil
}

// nonNil converts a constructor's typed pointer to the interface without
// turning a nil *Adapter into a non-nil interface.
func nonNil[A providers.Adapter](a A, err error) (providers.Adapter, error) {
	if err != nil {
		return nil, err
	}
	return a, nil
}
