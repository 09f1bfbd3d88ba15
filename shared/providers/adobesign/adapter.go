// Package adobesign is the adapter for Adobe Acrobat Sign webhooks. Adobe
// signs nothing: every request, the GET verification of intent included,
// must carry a configured client id in X-ADOBESIGN-CLIENTID, and the answer
// echoes it. Every event asks for confirmation against the API.
package adobesign

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// Header names: the one Adobe sends, and the echo it expects back.
const (
	HeaderClientID     = "X-Adobesign-Clientid"
	HeaderEchoClientID = "X-AdobeSign-ClientId"
)

// Adapter authenticates and parses Adobe Acrobat Sign webhooks.
type Adapter struct {
	clientIDs [][]byte
}

var (
	_ providers.Adapter   = (*Adapter)(nil)
	_ providers.Intent    = (*Adapter)(nil)
	_ providers.Confirmer = (*Adapter)(nil)
)

// New returns an adapter accepting cfg.ClientIDs, or an error wrapping
// ErrNoClientID.
func New(cfg config.Provider) (*Adapter, error) {
	if len(cfg.ClientIDs) == 0 {
		return nil, ErrNoClientID
	}
	a := &Adapter{}
	for i, id := range cfg.ClientIDs {
		if id == "" {
			return nil, fmt.Errorf("client_ids[%d]: %w: empty", i, ErrNoClientID)
		}
		a.clientIDs = append(a.clientIDs, []byte(id))
	}
	return a, nil
}

// Kind returns providers.KindAdobeSign.
func (a *Adapter) Kind() string { return providers.KindAdobeSign }

// Authenticate checks the client id header against every configured id in
// constant time. Errors wrap providers.ErrUnauthenticated.
func (a *Adapter) Authenticate(req *providers.Request, _ time.Time) error {
	got := req.Header.Get(HeaderClientID)
	if got == "" {
		return fmt.Errorf("%w: missing X-ADOBESIGN-CLIENTID header", providers.ErrUnauthenticated)
	}
	matched := 0
	for _, id := range a.clientIDs {
		matched |= subtle.ConstantTimeCompare(id, []byte(got))
	}
	if matched != 1 {
		return fmt.Errorf("%w: unknown client id", providers.ErrUnauthenticated)
	}
	return nil
}

// IsIntentCheck reports whether req is Adobe's GET verification of intent.
func (a *Adapter) IsIntentCheck(req *providers.Request) bool { return req.Method == http.MethodGet }

// DeliveryID returns the body's webhookNotificationId, which Adobe keeps
// across retries of one notification; "" when the body has none.
func (a *Adapter) DeliveryID(req *providers.Request) string {
	var p struct {
		ID string `json:"webhookNotificationId"`
	}
	if json.Unmarshal(req.Body, &p) != nil {
		return ""
	}
	return p.ID
}

// Respond answers 200 echoing the (authenticated) client id both as the
// X-AdobeSign-ClientId header and as {"xAdobeSignClientId": …}: Adobe
// accepts either and disables webhooks that echo neither.
func (a *Adapter) Respond(req *providers.Request) providers.Response {
	id := req.Header.Get(HeaderClientID)
	body, _ := json.Marshal(struct {
		ClientID string `json:"xAdobeSignClientId"`
	}{id}) // a struct of one string always marshals
	h := http.Header{}
	h.Set(HeaderEchoClientID, id)
	h.Set("Content-Type", "application/json")
	return providers.Response{Status: http.StatusOK, Header: h, Body: body}
}

// Redact returns q unchanged: Adobe puts no secret in the URL.
func (a *Adapter) Redact(q url.Values) url.Values { return q }

// MustConfirm reports true for every event: the body is not signed.
func (a *Adapter) MustConfirm(envelope.Event) bool { return true }
