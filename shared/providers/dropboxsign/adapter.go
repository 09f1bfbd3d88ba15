// Package dropboxsign is the adapter for Dropbox Sign (HelloSign) API
// callbacks: multipart/form-data with the event in field "json" (or a raw
// JSON body), authenticated by event_hash = hex HMAC-SHA256(api key,
// event_time + event_type). The rest of the body is not signed, so every
// event asks for confirmation against the API.
package dropboxsign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// ResponseBody is the answer Dropbox Sign requires, or it counts the
// delivery as failed.
const ResponseBody = "Hello API Event Received"

// Adapter authenticates and parses Dropbox Sign callbacks.
type Adapter struct {
	// apiKeys are every key event_hash may be signed with (rotation).
	apiKeys [][]byte
}

var (
	_ providers.Adapter   = (*Adapter)(nil)
	_ providers.Confirmer = (*Adapter)(nil)
)

// New returns an adapter for cfg, or ErrNoAPIKey.
func New(cfg config.Provider) (*Adapter, error) {
	a := &Adapter{}
	for _, k := range cfg.DropboxAPIKeys() {
		if k.Value() != "" {
			a.apiKeys = append(a.apiKeys, []byte(k.Value()))
		}
	}
	if len(a.apiKeys) == 0 {
		return nil, ErrNoAPIKey
	}
	return a, nil
}

// EventHash returns the event_hash Dropbox Sign sends for an event, for
// tests and the sandbox.
func EventHash(apiKey, eventTime, eventType string) string {
	return hex.EncodeToString(mac([]byte(apiKey), eventTime, eventType))
}

func mac(key []byte, eventTime, eventType string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(eventTime))
	h.Write([]byte(eventType))
	return h.Sum(nil)
}

// Kind returns providers.KindDropboxSign.
func (a *Adapter) Kind() string { return providers.KindDropboxSign }

// Authenticate checks event_hash. A body it cannot read cannot be
// verified, so it is unauthenticated too. Errors wrap
// providers.ErrUnauthenticated.
func (a *Adapter) Authenticate(req *providers.Request, _ time.Time) error {
	p, err := decode(req.Header, req.Body)
	if err != nil {
		return fmt.Errorf("%w: %v", providers.ErrUnauthenticated, err)
	}
	if p.Event.Hash == "" {
		return fmt.Errorf("%w: no event_hash", providers.ErrUnauthenticated)
	}
	got, err := hex.DecodeString(strings.TrimSpace(p.Event.Hash))
	if err != nil {
		return fmt.Errorf("%w: event_hash is not hex", providers.ErrUnauthenticated)
	}
	// Every key is tried, so timing does not tell which one matched.
	ok := false
	for _, k := range a.apiKeys {
		ok = hmac.Equal(mac(k, string(p.Event.Time), p.Event.Type), got) || ok
	}
	if !ok {
		return fmt.Errorf("%w: event_hash does not match", providers.ErrUnauthenticated)
	}
	return nil
}

// DeliveryID returns "": Dropbox Sign gives no delivery id (event_hash is
// the same for two events of one type in one second), so ingress hashes
// the body, which its retries repeat unchanged.
func (a *Adapter) DeliveryID(*providers.Request) string { return "" }

// Respond answers 200 with the body Dropbox Sign insists on.
func (a *Adapter) Respond(*providers.Request) providers.Response {
	return providers.Response{
		Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Body:   []byte(ResponseBody),
	}
}

// Redact returns q unchanged: Dropbox Sign puts no secret in the URL.
func (a *Adapter) Redact(q url.Values) url.Values { return q }

// MustConfirm reports true for every event: only the event time and type
// are signed, not the signature request the event is about.
func (a *Adapter) MustConfirm(envelope.Event) bool { return true }
