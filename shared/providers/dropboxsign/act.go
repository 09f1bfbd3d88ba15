package dropboxsign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

var (
	_ providers.Reminder = (*Client)(nil)
	_ providers.Replacer = (*Client)(nil)
	_ providers.Expirer  = (*Client)(nil)
)

// Remind sends POST /v3/signature_request/remind/{id} with the signer's
// email_address.
func (c *Client) Remind(ctx context.Context, envelopeID string, r envelope.RecipientRef) error {
	if r.Email == "" {
		return fmt.Errorf("dropboxsign: remind: %w: recipient without email", providers.ErrCannotAct)
	}
	return c.post(ctx, "/v3/signature_request/remind/", envelopeID, map[string]string{"email_address": r.Email})
}

// Replace sends POST /v3/signature_request/update/{id} with the
// signature_id of the signer being replaced and the new email_address.
func (c *Client) Replace(ctx context.Context, envelopeID string, from envelope.RecipientRef, to string) error {
	if from.ID == "" {
		return fmt.Errorf("dropboxsign: update: %w: recipient without signature_id", providers.ErrCannotAct)
	}
	return c.post(ctx, "/v3/signature_request/update/", envelopeID, map[string]string{
		"signature_id": from.ID, "email_address": to,
	})
}

// ExpiresAt reads the request's expires_at.
func (c *Client) ExpiresAt(ctx context.Context, envelopeID string) (time.Time, error) {
	if !providers.PathSafe(envelopeID) {
		return time.Time{}, fmt.Errorf("dropboxsign: signature request id %q: %w", envelopeID, providers.ErrNotFound)
	}
	var a struct {
		SignatureRequest *signatureRequest `json:"signature_request"`
	}
	if err := c.api.GetJSON(ctx, "/v3/signature_request/"+envelopeID, nil, &a); err != nil {
		return time.Time{}, c.notFound(envelopeID, err)
	}
	if a.SignatureRequest == nil {
		return time.Time{}, nil
	}
	return a.SignatureRequest.ExpiresAt.Time, nil
}

func (c *Client) post(ctx context.Context, path, envelopeID string, body map[string]string) error {
	if !providers.PathSafe(envelopeID) {
		return fmt.Errorf("dropboxsign: signature request id %q: %w", envelopeID, providers.ErrNotFound)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("dropboxsign: %w", err)
	}
	resp, err := c.api.Do(ctx, http.MethodPost, path+envelopeID, nil, b)
	if err != nil {
		return c.notFound(envelopeID, err)
	}
	return resp.Body.Close()
}

// notFound wraps providers.ErrNotFound into a 404 or 410 answer.
func (c *Client) notFound(envelopeID string, err error) error {
	var se *apiclient.StatusError
	if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
		return fmt.Errorf("dropboxsign: signature request %s: %w: %w", envelopeID, providers.ErrNotFound, err)
	}
	return fmt.Errorf("dropboxsign: signature request %s: %w", envelopeID, err)
}
