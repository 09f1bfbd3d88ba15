package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// SignStandardWebhooks returns the webhook-signature header value for one
// Standard Webhooks v1 delivery: "v1," and the base64 HMAC-SHA256, keyed
// with the secret's base64-decoded bytes (after the "whsec_" prefix), of
// "{id}.{timestamp}.{body}". A secret that does not decode returns an error
// wrapping ErrSecret.
func SignStandardWebhooks(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := standardWebhooksKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

func standardWebhooksKey(secret string) ([]byte, error) {
	raw := strings.TrimPrefix(secret, "whsec_")
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		// Some senders hand out unpadded secrets.
		key, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(raw, "="))
	}
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%w: standard webhooks secret is not base64: %v", ErrSecret, err)
	}
	return key, nil
}

// SignDocuSign returns the X-DocuSign-Signature-N header value for body:
// base64 HMAC-SHA256 of the raw body keyed with the Connect secret's bytes.
func SignDocuSign(key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// DropboxEventHash returns Dropbox Sign's event_hash: lowercase hex
// HMAC-SHA256 keyed with the API key string over event_time followed by
// event_type.
func DropboxEventHash(apiKey, eventTime, eventType string) string {
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write([]byte(eventTime + eventType))
	return hex.EncodeToString(mac.Sum(nil))
}

// SignPandaDoc returns PandaDoc's signature query parameter for body:
// lowercase hex HMAC-SHA256 of the raw body keyed with the shared key.
func SignPandaDoc(key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
