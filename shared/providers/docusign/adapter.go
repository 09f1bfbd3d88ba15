// Package docusign is the adapter for DocuSign Connect (JSON SIM payloads)
// signed with Connect HMAC keys: one X-DocuSign-Signature-N header per
// active key, each the base64 HMAC-SHA256 of the raw body.
package docusign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// signatureHeaderPrefix is the canonical form of X-DocuSign-Signature-;
// the header name ends in the key's number (1..N).
const signatureHeaderPrefix = "X-Docusign-Signature-"

// Adapter authenticates and parses DocuSign Connect callbacks.
type Adapter struct {
	keys [][]byte
}

var (
	_ providers.Adapter   = (*Adapter)(nil)
	_ providers.Confirmer = (*Adapter)(nil)
)

// New returns an adapter for cfg. Several keys allow rotation. It returns
// an error wrapping ErrNoKey (naming the empty key's position) when no key
// is usable.
func New(cfg config.Provider) (*Adapter, error) {
	if len(cfg.HMACKeys) == 0 {
		return nil, ErrNoKey
	}
	a := &Adapter{}
	for i, k := range cfg.HMACKeys {
		if k.Value() == "" {
			return nil, fmt.Errorf("hmac_keys[%d]: %w: empty key", i, ErrNoKey)
		}
		a.keys = append(a.keys, []byte(k.Value()))
	}
	return a, nil
}

// Sign returns the X-DocuSign-Signature-N value DocuSign puts on body when
// signing with key, for tests and the sandbox.
func Sign(key string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac([]byte(key), body))
}

func mac(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)
}

// Kind returns providers.KindDocuSign.
func (a *Adapter) Kind() string { return providers.KindDocuSign }

// Authenticate checks every X-DocuSign-Signature-N header against every
// configured key; one match suffices. Errors wrap
// providers.ErrUnauthenticated.
func (a *Adapter) Authenticate(req *providers.Request, _ time.Time) error {
	var sigs [][]byte
	for name, values := range req.Header {
		n, ok := strings.CutPrefix(http.CanonicalHeaderKey(name), signatureHeaderPrefix)
		if !ok {
			continue
		}
		if _, err := strconv.Atoi(n); err != nil {
			continue
		}
		for _, v := range values {
			if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v)); err == nil {
				sigs = append(sigs, raw)
			}
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no X-DocuSign-Signature-N header", providers.ErrUnauthenticated)
	}
	matched := false
	for _, key := range a.keys {
		want := mac(key, req.Body)
		for _, got := range sigs {
			// No early exit: timing does not say which key matched.
			if hmac.Equal(want, got) {
				matched = true
			}
		}
	}
	if !matched {
		return fmt.Errorf("%w: no X-DocuSign-Signature-N header matches a key", providers.ErrUnauthenticated)
	}
	return nil
}

// DeliveryID returns "": Connect gives no delivery id, and its body changes
// between retries (retryCount), so the hash ingress derives from the body
// does not dedupe retries either. Dedupe of retries happens on the semantic
// event id, which leaves retryCount out.
func (a *Adapter) DeliveryID(*providers.Request) string { return "" }

// Respond answers 200 with an empty body.
func (a *Adapter) Respond(*providers.Request) providers.Response {
	return providers.Response{Status: http.StatusOK, Header: http.Header{}}
}

// Redact returns q unchanged: Connect puts no secret in the URL.
func (a *Adapter) Redact(q url.Values) url.Values { return q }

// MustConfirm reports true for events that end the envelope.
func (a *Adapter) MustConfirm(ev envelope.Event) bool { return providers.IsTerminal(ev.Type) }
