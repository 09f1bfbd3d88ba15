package esignanywhere

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

var _ providers.DocumentClient = (*Client)(nil)

// filesAnswer is GET /v6/envelope/{id}/files (the fields read).
type filesAnswer struct {
	Documents []struct {
		FileID string `json:"FileId"`
	} `json:"Documents"`
	AuditTrail *struct {
		FileID string `json:"FileId"`
	} `json:"AuditTrail"`
}

// Documents implements providers.DocumentClient. eSignAnyWhere has no
// combined download: the envelope's first document is signed.pdf, further
// ones signed-2.pdf, signed-3.pdf …, then the audit trail.
func (c *Client) Documents(ctx context.Context, envelopeID string) ([]providers.Document, error) {
	if !providers.PathSafe(envelopeID) {
		return nil, fmt.Errorf("esignanywhere: envelope id %q: %w", envelopeID, providers.ErrNotFound)
	}
	var a filesAnswer
	if err := c.api.GetJSON(ctx, "/v6/envelope/"+envelopeID+"/files", nil, &a); err != nil {
		if is404(err) {
			return nil, fmt.Errorf("esignanywhere: files of %s: %w: %w", envelopeID, providers.ErrNotFound, err)
		}
		return nil, fmt.Errorf("esignanywhere: files of %s: %w", envelopeID, err)
	}
	var out []providers.Document
	for i, d := range a.Documents {
		name := providers.DocumentSigned
		if i > 0 {
			name = fmt.Sprintf("signed-%d.pdf", i+1)
		}
		out = append(out, providers.Document{Name: name, Ref: d.FileID})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("esignanywhere: files of %s: no documents: %w", envelopeID, providers.ErrNotReady)
	}
	if a.AuditTrail != nil && a.AuditTrail.FileID != "" {
		out = append(out, providers.Document{Name: providers.DocumentAudit, Ref: a.AuditTrail.FileID})
	}
	return out, nil
}

// Download implements providers.DocumentClient: GET /v6/file/{fileId}.
func (c *Client) Download(ctx context.Context, envelopeID string, d providers.Document) (io.ReadCloser, int64, error) {
	if !providers.PathSafe(d.Ref) {
		return nil, 0, fmt.Errorf("esignanywhere: file %q of %s: %w", d.Ref, envelopeID, providers.ErrNotFound)
	}
	body, n, err := c.api.Download(ctx, "/v6/file/"+d.Ref, nil, "application/pdf")
	if err != nil {
		if is404(err) {
			return nil, 0, fmt.Errorf("esignanywhere: file %s of %s: %w: %w", d.Ref, envelopeID, providers.ErrNotFound, err)
		}
		return nil, 0, fmt.Errorf("esignanywhere: file %s of %s: %w", d.Ref, envelopeID, err)
	}
	return body, n, nil
}

// Purge implements providers.DocumentClient: POST /v6/envelope/delete.
func (c *Client) Purge(ctx context.Context, envelopeID string) error {
	body, _ := json.Marshal(map[string]string{"EnvelopeId": envelopeID})
	resp, err := c.api.DoOnce(ctx, http.MethodPost, "/v6/envelope/delete", nil, body)
	if err != nil {
		if is404(err) {
			return nil
		}
		return fmt.Errorf("esignanywhere: delete %s: %w", envelopeID, err)
	}
	resp.Body.Close()
	return nil
}

func is404(err error) bool {
	var se *apiclient.StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}
