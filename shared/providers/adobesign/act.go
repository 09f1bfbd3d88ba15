package adobesign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

var _ providers.Reminder = (*Client)(nil)

// Remind creates an active reminder for the participant:
// POST /api/rest/v6/agreements/{id}/reminders.
func (c *Client) Remind(ctx context.Context, envelopeID string, r envelope.RecipientRef) error {
	if r.ID == "" {
		return fmt.Errorf("adobesign: reminder: %w: no participant id", providers.ErrCannotAct)
	}
	if !providers.PathSafe(envelopeID) {
		return fmt.Errorf("adobesign: agreement id %q: %w", envelopeID, providers.ErrNotFound)
	}
	b, err := json.Marshal(map[string]any{"recipientParticipantIds": []string{r.ID}, "status": "ACTIVE"})
	if err != nil {
		return fmt.Errorf("adobesign: %w", err)
	}
	resp, err := c.api.Do(ctx, http.MethodPost, "/api/rest/v6/agreements/"+envelopeID+"/reminders", nil, b)
	var se *apiclient.StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return fmt.Errorf("adobesign: agreement %s: %w: %w", envelopeID, providers.ErrNotFound, err)
	case err != nil:
		return fmt.Errorf("adobesign: agreement %s: %w", envelopeID, err)
	}
	return resp.Body.Close()
}
