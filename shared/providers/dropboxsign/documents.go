package dropboxsign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

var _ providers.DocumentClient = (*Client)(nil)

// Documents implements providers.DocumentClient: one PDF, which carries
// the audit trail within it (Dropbox Sign has no separate one).
func (c *Client) Documents(_ context.Context, envelopeID string) ([]providers.Document, error) {
	if !providers.PathSafe(envelopeID) {
		return nil, fmt.Errorf("dropboxsign: request id %q: %w", envelopeID, providers.ErrNotFound)
	}
	return []providers.Document{{Name: providers.DocumentSigned, Ref: "pdf"}}, nil
}

// Download implements providers.DocumentClient:
// GET /v3/signature_request/files/{id}?file_type=pdf. Until Dropbox Sign
// has prepared the files it answers 409 ("files are still being
// processed"): that is ErrNotReady, to be retried.
func (c *Client) Download(ctx context.Context, envelopeID string, d providers.Document) (io.ReadCloser, int64, error) {
	if !providers.PathSafe(envelopeID) {
		return nil, 0, fmt.Errorf("dropboxsign: request id %q: %w", envelopeID, providers.ErrNotFound)
	}
	body, n, err := c.api.Download(ctx, "/v3/signature_request/files/"+envelopeID, url.Values{"file_type": {d.Ref}}, "application/pdf")
	if err != nil {
		var se *apiclient.StatusError
		switch {
		case errors.As(err, &se) && se.Code == http.StatusConflict:
			return nil, 0, fmt.Errorf("dropboxsign: files of %s: %w: %w", envelopeID, providers.ErrNotReady, err)
		case errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone || isDeleted(se.Body)):
			return nil, 0, fmt.Errorf("dropboxsign: files of %s: %w: %w", envelopeID, providers.ErrNotFound, err)
		}
		return nil, 0, fmt.Errorf("dropboxsign: files of %s: %w", envelopeID, err)
	}
	return body, n, nil
}

// Purge implements providers.DocumentClient. Dropbox Sign cannot delete a
// completed request's documents (remove only hides it from the account).
func (c *Client) Purge(context.Context, string) error {
	return fmt.Errorf("dropboxsign: %w (remove only hides a completed request)", providers.ErrPurgeUnsupported)
}
