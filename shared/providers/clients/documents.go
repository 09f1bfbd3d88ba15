package clients

import (
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// Documents returns the document client of cfg (download and purge), or
// (nil, nil) when cfg has no api: section: without an API there is
// nothing to download from.
func Documents(cfg config.Provider, o apiclient.Options) (providers.DocumentClient, error) {
	c, err := New(cfg, o)
	if err != nil || c == nil {
		return nil, err
	}
	d, ok := c.(providers.DocumentClient)
	if !ok {
		return nil, nil
	}
	return d, nil
}
