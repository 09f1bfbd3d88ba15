// Package hmac is the adapter for senders without a built-in adapter whose
// scheme is "an HMAC of the body (or of a timestamp and the body) in a
// header or query parameter" — PandaDoc, eSignly, BoldSign-style senders.
// Everything about a provider is configuration (a Spec): where the
// signature is and how it is written, what is signed, and JSON pointers
// (RFC 6901) that find events in the body.
package hmac

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/providers"
)

// Adapter authenticates and parses one configured generic HMAC provider.
type Adapter struct {
	c *compiled
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns the adapter for s. It returns every problem with s joined,
// each a *Problem naming its field and wrapping ErrBadSpec.
func New(s Spec) (*Adapter, error) {
	c, problems := compile(s)
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = p
		}
		return nil, errors.Join(errs...)
	}
	return &Adapter{c: c}, nil
}

// Kind returns the configured name: the URL path segment and the provider
// of this adapter's events.
func (a *Adapter) Kind() string { return a.c.name }

// Authenticate checks the timestamp (when configured) against now, then
// the signature: one value at the signature's location must match the
// HMAC of the signed content under one secret, compared in constant time.
// Errors wrap providers.ErrUnauthenticated.
func (a *Adapter) Authenticate(req *providers.Request, now time.Time) error {
	c := a.c
	tsText := ""
	if c.ts != nil {
		vs := c.ts.values(req)
		if len(vs) == 0 || vs[0] == "" {
			return fmt.Errorf("%w: missing timestamp", providers.ErrUnauthenticated)
		}
		tsText = vs[0]
		ts, err := parseTimestamp(tsText)
		if err != nil {
			return fmt.Errorf("%w: timestamp is not unix seconds or RFC 3339", providers.ErrUnauthenticated)
		}
		if d := now.Sub(ts); d > c.tolerance || d < -c.tolerance {
			return fmt.Errorf("%w: timestamp outside tolerance (%s off)", providers.ErrUnauthenticated, d.Round(time.Second))
		}
	}
	var candidates [][]byte
	for _, v := range c.sig.values(req) {
		if sig, ok := a.decodeSignature(v); ok {
			candidates = append(candidates, sig)
		}
	}
	if len(candidates) == 0 {
		return fmt.Errorf("%w: missing or undecodable signature", providers.ErrUnauthenticated)
	}
	content, ok := c.signed.content(req.Header, req.Body, tsText)
	if !ok {
		return fmt.Errorf("%w: a signed header is missing", providers.ErrUnauthenticated)
	}
	matched := false
	for _, key := range c.keys {
		m := hmac.New(c.newHash, key)
		m.Write(content)
		want := m.Sum(nil)
		for _, got := range candidates {
			// No early exit: the time taken does not say which secret matched.
			if hmac.Equal(want, got) {
				matched = true
			}
		}
	}
	if !matched {
		return fmt.Errorf("%w: no signature matches", providers.ErrUnauthenticated)
	}
	return nil
}

// decodeSignature strips the configured prefix and decodes one signature
// value; false when the prefix is missing or the encoding is wrong.
func (a *Adapter) decodeSignature(v string) ([]byte, bool) {
	v = strings.TrimSpace(v)
	if a.c.prefix != "" {
		var ok bool
		if v, ok = strings.CutPrefix(v, a.c.prefix); !ok {
			return nil, false
		}
	}
	sig, err := a.c.decode(v)
	if err != nil || len(sig) == 0 {
		return nil, false
	}
	return sig, true
}

func decodeHex(s string) ([]byte, error) { return hex.DecodeString(s) }

// decodeBase64 accepts standard base64, padded or not. A "+" that reached
// us through a query string unescaped arrives as a space; it is put back.
func decodeBase64(s string) ([]byte, error) {
	s = strings.ReplaceAll(s, " ", "+")
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// Sign returns the signature value (prefix included) a sender configured
// as s would put on a request with header h and body, under its first
// secret, ts standing for {timestamp}: for tests and the README's vectors.
// With signature.param set it is that pair's value. It returns
// an error wrapping ErrBadSpec when s is invalid, and one when a header
// the signed content names is missing from h.
func Sign(s Spec, h http.Header, body []byte, ts string) (string, error) {
	a, err := New(s)
	if err != nil {
		return "", err
	}
	content, ok := a.c.signed.content(h, body, ts)
	if !ok {
		return "", fmt.Errorf("hmac: sign: a header of %q is missing", cmpOr(s.Signed, DefaultSigned))
	}
	m := hmac.New(a.c.newHash, a.c.keys[0])
	m.Write(content)
	sum := m.Sum(nil)
	if cmpOr(s.Signature.Encoding, DefaultEncoding) == "base64" {
		return s.Signature.Prefix + base64.StdEncoding.EncodeToString(sum), nil
	}
	return s.Signature.Prefix + hex.EncodeToString(sum), nil
}

// DeliveryID returns the value at events.delivery_id when the body holds
// exactly one event that has one, else "" (ingress then derives an id
// from the body: a batch has no single delivery id).
func (a *Adapter) DeliveryID(req *providers.Request) string {
	if a.c.deliveryID.IsZero() {
		return ""
	}
	events, err := a.events(req.Body)
	if err != nil || len(events) != 1 {
		return ""
	}
	v, ok := a.c.deliveryID.Resolve(events[0])
	if !ok {
		return ""
	}
	id, _ := scalarText(v)
	return id
}

// Respond answers 200 with an empty body.
func (a *Adapter) Respond(*providers.Request) providers.Response {
	return providers.Response{Status: http.StatusOK, Header: http.Header{}}
}

// Redact returns q unchanged: a signature in the query is a MAC of the
// body, not a secret, and is worth keeping with what it signed.
func (a *Adapter) Redact(q url.Values) url.Values { return q }

// Location is where a configured provider's signature or timestamp
// travels, for senders (the sandbox) that must put it there.
type Location struct {
	// Query is true for a query parameter, false for a header.
	Query bool
	// Name is the parameter or canonical header name.
	Name string
}

// ParseLocation reads "header:NAME" or "query:NAME".
func ParseLocation(s string) (Location, error) {
	l, err := parseLocation(s)
	if err != nil {
		return Location{}, fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	return Location{Query: l.query, Name: l.name}, nil
}
