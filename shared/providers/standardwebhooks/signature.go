package standardwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const secretPrefix = "whsec_"

// decodeSecret strips the whsec_ prefix and base64-decodes the rest. Senders
// differ on padding, so both padded and unpadded standard base64 pass.
func decodeSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: missing %q prefix", ErrBadSecret, secretPrefix)
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(rest, "=") && len(rest)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	key, err := enc.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: not standard base64 after %q", ErrBadSecret, secretPrefix)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrBadSecret)
	}
	return key, nil
}

// mac is the v1 signature: HMAC-SHA256 over "{id}.{timestamp}.{body}".
func mac(key []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the webhook-signature header value ("v1,<base64>") a
// Standard Webhooks sender would put on body, for tests and the sandbox.
// It returns an error wrapping ErrBadSecret when secret is unusable.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	sum := mac(key, id, strconv.FormatInt(ts.Unix(), 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(sum), nil
}

// v1Signatures returns the decoded v1 entries of a webhook-signature
// header; entries of other versions and undecodable ones are skipped.
func v1Signatures(header string) [][]byte {
	var out [][]byte
	for _, entry := range strings.Fields(header) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" || sig == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		out = append(out, raw)
	}
	return out
}
