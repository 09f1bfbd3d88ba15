package esignanywhere

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// Client asks Namirial eSignAnyWhere's REST API (v6) about envelopes.
type Client struct {
	api *apiclient.Client
}

var _ providers.StatusClient = (*Client)(nil)

// NewClient returns a client for cfg.API, authenticated with its token in
// the apiToken header. It returns providers.ErrNoAPI when cfg has no api:
// section.
func NewClient(cfg config.Provider, o apiclient.Options) (*Client, error) {
	api, err := apiclient.ForProvider("esignanywhere", cfg.API, "apiToken", apiclient.Token(cfg.API), o)
	if err != nil {
		return nil, err
	}
	return &Client{api: api}, nil
}

// envelopeStates maps EnvelopeStatus. This is what tells an
// envelopeFinished callback's completion from a rejection.
var envelopeStates = map[string]envelope.State{
	"Draft":     envelope.StateCreated,
	"Active":    envelope.StateSent,
	"Completed": envelope.StateCompleted,
	"Rejected":  envelope.StateDeclined,
	"Canceled":  envelope.StateVoided,
	"Expired":   envelope.StateExpired,
}

// Status returns one envelope's status. The answer names no time of change
// and no recipients: ChangedAt stays zero. It returns an error wrapping
// providers.ErrNotFound on 404 and providers.ErrUnknownStatus for a status
// it cannot map.
func (c *Client) Status(ctx context.Context, envelopeID string) (providers.Status, error) {
	if !providers.PathSafe(envelopeID) {
		return providers.Status{}, fmt.Errorf("esignanywhere: envelope id %q: %w", envelopeID, providers.ErrNotFound)
	}
	var e struct {
		ID             string `json:"Id"`
		EnvelopeStatus string `json:"EnvelopeStatus"`
	}
	if err := c.api.GetJSON(ctx, "/v6/envelope/"+envelopeID, nil, &e); err != nil {
		var se *apiclient.StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			return providers.Status{}, fmt.Errorf("esignanywhere: envelope %s: %w: %w", envelopeID, providers.ErrNotFound, err)
		}
		return providers.Status{}, fmt.Errorf("esignanywhere: envelope %s: %w", envelopeID, err)
	}
	state, ok := envelopeStates[e.EnvelopeStatus]
	if !ok {
		return providers.Status{}, fmt.Errorf("esignanywhere: envelope %s: status %q: %w", envelopeID, e.EnvelopeStatus, providers.ErrUnknownStatus)
	}
	return providers.Status{EnvelopeID: envelopeID, State: state}, nil
}
