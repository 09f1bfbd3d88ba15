package adobesign

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

// Documents implements providers.DocumentClient: the combined document
// (without the audit report attached) and the audit trail.
func (c *Client) Documents(_ context.Context, envelopeID string) ([]providers.Document, error) {
	if !providers.PathSafe(envelopeID) {
		return nil, fmt.Errorf("adobesign: agreement id %q: %w", envelopeID, providers.ErrNotFound)
	}
	return []providers.Document{
		{Name: providers.DocumentSigned, Ref: "combinedDocument"},
		{Name: providers.DocumentAudit, Ref: "auditTrail"},
	}, nil
}

// Download implements providers.DocumentClient.
func (c *Client) Download(ctx context.Context, envelopeID string, d providers.Document) (io.ReadCloser, int64, error) {
	if !providers.PathSafe(envelopeID) || (d.Ref != "combinedDocument" && d.Ref != "auditTrail") {
		return nil, 0, fmt.Errorf("adobesign: %s of %q: %w", d.Ref, envelopeID, providers.ErrNotFound)
	}
	var q url.Values
	if d.Ref == "combinedDocument" {
		q = url.Values{"attachAuditReport": {"false"}}
	}
	body, n, err := c.api.Download(ctx, "/api/rest/v6/agreements/"+envelopeID+"/"+d.Ref, q, "application/pdf")
	if err != nil {
		if is404(err) {
			return nil, 0, fmt.Errorf("adobesign: %s of %s: %w: %w", d.Ref, envelopeID, providers.ErrNotFound, err)
		}
		return nil, 0, fmt.Errorf("adobesign: %s of %s: %w", d.Ref, envelopeID, err)
	}
	return body, n, nil
}

// Purge implements providers.DocumentClient: DELETE
// /agreements/{id}/documents.
func (c *Client) Purge(ctx context.Context, envelopeID string) error {
	if !providers.PathSafe(envelopeID) {
		return fmt.Errorf("adobesign: agreement id %q: %w", envelopeID, providers.ErrNotFound)
	}
	resp, err := c.api.DoOnce(ctx, http.MethodDelete, "/api/rest/v6/agreements/"+envelopeID+"/documents", nil, nil)
	if err != nil {
		if is404(err) {
			return nil
		}
		return fmt.Errorf("adobesign: purge %s: %w", envelopeID, err)
	}
	resp.Body.Close()
	return nil
}

func is404(err error) bool {
	var se *apiclient.StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}
