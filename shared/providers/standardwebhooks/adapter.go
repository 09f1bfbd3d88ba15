// Package standardwebhooks is the adapter for senders that sign with the
// Standard Webhooks v1 scheme (Svix-style): HMAC-SHA256 over id, timestamp
// and body, keyed by a whsec_ secret, with a timestamp tolerance.
package standardwebhooks

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock when the config gives no tolerance (the spec's default).
const DefaultTolerance = 5 * time.Minute

// Header names of the scheme.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// Adapter authenticates and parses Standard Webhooks callbacks.
type Adapter struct {
	keys      [][]byte
	tolerance time.Duration
}

var (
	_ providers.Adapter   = (*Adapter)(nil)
	_ providers.Confirmer = (*Adapter)(nil)
)

// New returns an adapter for cfg. Several secrets allow rotation: a
// signature made with any of them passes. It returns ErrNoSecret,
// ErrBadSecret (naming which secret, not its value) or ErrBadTolerance.
func New(cfg config.Provider) (*Adapter, error) {
	if len(cfg.Secrets) == 0 {
		return nil, ErrNoSecret
	}
	a := &Adapter{tolerance: cfg.Tolerance.D()}
	if a.tolerance < 0 {
		return nil, ErrBadTolerance
	}
	if a.tolerance == 0 {
		a.tolerance = DefaultTolerance
	}
	for i, s := range cfg.Secrets {
		key, err := decodeSecret(s.Value())
		if err != nil {
			return nil, fmt.Errorf("secrets[%d]: %w", i, err)
		}
		a.keys = append(a.keys, key)
	}
	return a, nil
}

// Kind returns providers.KindStandardWebhooks.
func (a *Adapter) Kind() string { return providers.KindStandardWebhooks }

// Authenticate checks the three headers, the timestamp against now and
// the signature list: one v1 entry matching one secret suffices. Errors
// wrap providers.ErrUnauthenticated.
func (a *Adapter) Authenticate(req *providers.Request, now time.Time) error {
	id, tsText, sigs := req.Header.Get(HeaderID), req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature)
	switch {
	case id == "":
		return fmt.Errorf("%w: missing webhook-id header", providers.ErrUnauthenticated)
	case tsText == "":
		return fmt.Errorf("%w: missing webhook-timestamp header", providers.ErrUnauthenticated)
	case sigs == "":
		return fmt.Errorf("%w: missing webhook-signature header", providers.ErrUnauthenticated)
	}
	ts, ok := providers.UnixSeconds(tsText)
	if !ok {
		return fmt.Errorf("%w: webhook-timestamp is not unix seconds", providers.ErrUnauthenticated)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > a.tolerance || d < -a.tolerance {
		return fmt.Errorf("%w: webhook-timestamp outside tolerance (%s off)", providers.ErrUnauthenticated, d.Round(time.Second))
	}
	candidates := v1Signatures(sigs)
	matched := false
	for _, key := range a.keys {
		want := mac(key, id, tsText, req.Body)
		for _, got := range candidates {
			// No early exit: the time taken does not say which entry matched.
			if hmac.Equal(want, got) {
				matched = true
			}
		}
	}
	if !matched {
		return fmt.Errorf("%w: no v1 signature matches", providers.ErrUnauthenticated)
	}
	return nil
}

// DeliveryID returns the webhook-id header.
func (a *Adapter) DeliveryID(req *providers.Request) string { return req.Header.Get(HeaderID) }

// Respond answers 200 with an empty body.
func (a *Adapter) Respond(*providers.Request) providers.Response {
	return providers.Response{Status: http.StatusOK, Header: http.Header{}}
}

// Redact returns q unchanged: the scheme puts no secret in the URL.
func (a *Adapter) Redact(q url.Values) url.Values { return q }

// MustConfirm reports true for events that end the envelope.
func (a *Adapter) MustConfirm(ev envelope.Event) bool { return providers.IsTerminal(ev.Type) }
