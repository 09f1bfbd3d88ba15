package docusign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

var (
	_ providers.Reminder = (*Client)(nil)
	_ providers.Replacer = (*Client)(nil)
)

// Remind resends the envelope to its pending recipients:
// PUT …/envelopes/{id}?resend_envelope=true (DocuSign reminds every
// pending recipient at once; r is who the notifier meant).
func (c *Client) Remind(ctx context.Context, envelopeID string, _ envelope.RecipientRef) error {
	return c.put(ctx, "/envelopes/"+envelopeID, envelopeID, map[string]any{})
}

// Replace corrects the email of a recipient who has not acted:
// PUT …/envelopes/{id}/recipients?resend_envelope=true.
func (c *Client) Replace(ctx context.Context, envelopeID string, from envelope.RecipientRef, to string) error {
	if from.ID == "" {
		return fmt.Errorf("docusign: correct recipient: %w: no recipientId", providers.ErrCannotAct)
	}
	body := map[string]any{"signers": []map[string]string{{"recipientId": from.ID, "email": to, "name": to}}}
	return c.put(ctx, "/envelopes/"+envelopeID+"/recipients", envelopeID, body)
}

func (c *Client) put(ctx context.Context, path, envelopeID string, body any) error {
	if !providers.PathSafe(envelopeID) {
		return fmt.Errorf("docusign: envelope id %q: %w", envelopeID, providers.ErrNotFound)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("docusign: %w", err)
	}
	resp, err := c.api.Do(ctx, http.MethodPut, c.accountPath()+path, url.Values{"resend_envelope": {"true"}}, b)
	var se *apiclient.StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return fmt.Errorf("docusign: envelope %s: %w: %w", envelopeID, providers.ErrNotFound, err)
	case err != nil:
		return fmt.Errorf("docusign: envelope %s: %w", envelopeID, err)
	}
	return resp.Body.Close()
}
