package bench

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Delivery is one signed provider callback, ready to POST.
type Delivery struct {
	Header http.Header
	Body   []byte
}

// Signer builds the delivery announcing envelopeID at time now. Each
// envelope id yields a distinct canonical event, hence one ledger entry.
type Signer interface {
	// Kind is the provider kind, the last segment of the ingress path.
	Kind() string
	Sign(envelopeID string, now time.Time) Delivery
}

// StandardWebhooksSigner signs `document.sent` callbacks with the
// Standard Webhooks v1 scheme (HMAC-SHA256 over "id.timestamp.body").
type StandardWebhooksSigner struct {
	key []byte
}

// NewStandardWebhooksSigner decodes a whsec_ secret. It returns
// ErrBadSecret when the secret is not whsec_ followed by base64.
func NewStandardWebhooksSigner(secret string) (*StandardWebhooksSigner, error) {
	key, err := decodeWhsec(secret)
	if err != nil {
		return nil, err
	}
	return &StandardWebhooksSigner{key: key}, nil
}

// Kind returns "standardwebhooks".
func (s *StandardWebhooksSigner) Kind() string { return "standardwebhooks" }

// Sign returns a `document.sent` delivery for envelopeID; the webhook id
// is derived from the envelope id so that every delivery is distinct.
func (s *StandardWebhooksSigner) Sign(envelopeID string, now time.Time) Delivery {
	body := []byte(`{"type":"document.sent","timestamp":"` + now.UTC().Format(time.RFC3339) +
		`","data":{"document_id":"` + envelopeID + `"}}`)
	id := "msg_" + envelopeID
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Webhook-Id", id)
	h.Set("Webhook-Timestamp", ts)
	h.Set("Webhook-Signature", "v1,"+StandardWebhooksSignature(s.key, id, ts, body))
	return Delivery{Header: h, Body: body}
}

// StandardWebhooksSignature is base64(HMAC-SHA256(key, id.ts.body)), the
// part of the header after "v1,".
func StandardWebhooksSignature(key []byte, id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// DocuSignSigner signs `envelope-sent` Connect JSON SIM callbacks with
// X-DocuSign-Signature-1 = base64(HMAC-SHA256(key, body)).
type DocuSignSigner struct {
	key []byte
}

// NewDocuSignSigner returns a signer for the Connect HMAC key.
func NewDocuSignSigner(key string) *DocuSignSigner { return &DocuSignSigner{key: []byte(key)} }

// Kind returns "docusign".
func (s *DocuSignSigner) Kind() string { return "docusign" }

// docuSignTime is DocuSign's timestamp layout: seven fractional digits.
const docuSignTime = "2006-01-02T15:04:05.0000000Z"

// Sign returns an `envelope-sent` delivery for envelopeID.
func (s *DocuSignSigner) Sign(envelopeID string, now time.Time) Delivery {
	body := []byte(`{"event":"envelope-sent","apiVersion":"v2.1","retryCount":0,"generatedDateTime":"` +
		now.UTC().Format(docuSignTime) + `","data":{"accountId":"a","envelopeId":"` + envelopeID + `"}}`)
	mac := hmac.New(sha256.New, s.key)
	mac.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-DocuSign-Signature-1", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return Delivery{Header: h, Body: body}
}

// decodeWhsec strips whsec_ and base64-decodes the rest (padded or not).
func decodeWhsec(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: want whsec_<base64>", ErrBadSecret)
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		if key, err = base64.RawStdEncoding.DecodeString(raw); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadSecret, err)
		}
	}
	return key, nil
}
