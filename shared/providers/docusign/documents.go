package docusign

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/countersign/countersign/shared/providers"
)

var _ providers.DocumentClient = (*Client)(nil)

// Documents implements providers.DocumentClient: the combined PDF and the
// certificate of completion.
func (c *Client) Documents(_ context.Context, envelopeID string) ([]providers.Document, error) {
	if !providers.PathSafe(envelopeID) {
		return nil, fmt.Errorf("docusign: envelope id %q: %w", envelopeID, providers.ErrNotFound)
	}
	return []providers.Document{
		{Name: providers.DocumentSigned, Ref: "combined"},
		{Name: providers.DocumentAudit, Ref: "certificate"},
	}, nil
}

// Download implements providers.DocumentClient:
// GET …/envelopes/{id}/documents/{combined|certificate}.
func (c *Client) Download(ctx context.Context, envelopeID string, d providers.Document) (io.ReadCloser, int64, error) {
	if !providers.PathSafe(envelopeID) || !providers.PathSafe(d.Ref) {
		return nil, 0, fmt.Errorf("docusign: document %s of %q: %w", d.Ref, envelopeID, providers.ErrNotFound)
	}
	body, n, err := c.api.Download(ctx, c.accountPath()+"/envelopes/"+envelopeID+"/documents/"+d.Ref, nil, "application/pdf")
	if err != nil {
		if notFound(err) {
			return nil, 0, fmt.Errorf("docusign: document %s of %s: %w: %w", d.Ref, envelopeID, providers.ErrNotFound, err)
		}
		return nil, 0, fmt.Errorf("docusign: document %s of %s: %w", d.Ref, envelopeID, err)
	}
	return body, n, nil
}

// Purge implements providers.DocumentClient: PUT …/envelopes/{id} with
// purgeState documents_queued (DocuSign purges the documents later).
func (c *Client) Purge(ctx context.Context, envelopeID string) error {
	if !providers.PathSafe(envelopeID) {
		return fmt.Errorf("docusign: envelope id %q: %w", envelopeID, providers.ErrNotFound)
	}
	body, _ := json.Marshal(map[string]string{"purgeState": "documents_queued"})
	resp, err := c.api.DoOnce(ctx, http.MethodPut, c.accountPath()+"/envelopes/"+envelopeID, nil, body)
	if err != nil {
		if notFound(err) {
			return nil // already gone: the purge's goal holds
		}
		return fmt.Errorf("docusign: purge %s: %w", envelopeID, err)
	}
	resp.Body.Close()
	return nil
}
