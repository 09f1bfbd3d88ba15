package dropboxsign_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/dropboxsign"
	"github.com/countersign/countersign/shared/providers/providertest"
)

const apiKey = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"

func newAdapter(t testing.TB) *dropboxsign.Adapter {
	t.Helper()
	a, err := dropboxsign.New(config.Provider{Kind: providers.KindDropboxSign, APIKey: config.NewSecret(apiKey)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func TestConformance(t *testing.T) {
	providertest.Run(t, newAdapter(t), providertest.Load(t, "testdata/*.json")...)
}

func TestEventHashOfficialVectors(t *testing.T) {
	tests := []struct {
		name, key, eventType, want string
		match                      bool
	}{
		{"sent", apiKey, "signature_request_sent", "08d45a6b7677492b78be030cef18cfeaece8fe67e163cc8e526ee638ad483756", true},
		{"account confirmed", apiKey, "account_confirmed", "6dc5b7aad93cf54915e0089d6c31d61b3833f66f51459171c69f8fa211308848", true},
		{"reversed key", reverse(apiKey), "signature_request_sent", "08d45a6b7677492b78be030cef18cfeaece8fe67e163cc8e526ee638ad483756", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dropboxsign.EventHash(tt.key, "1348177752", tt.eventType); (got == tt.want) != tt.match {
				t.Errorf("EventHash = %s, want match=%v with %s", got, tt.match, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	if _, err := dropboxsign.New(config.Provider{}); !errors.Is(err, dropboxsign.ErrNoAPIKey) {
		t.Errorf("New without api_key = %v, want ErrNoAPIKey", err)
	}
}

// TestAuthenticateBodies covers body shapes the fixtures do not: a numeric
// event_time, url-encoded forms, broken multipart.
func TestAuthenticateBodies(t *testing.T) {
	hash := dropboxsign.EventHash(apiKey, "1348177752", "signature_request_sent")
	numeric := `{"event":{"event_time":1348177752,"event_type":"signature_request_sent","event_hash":"` + hash + `"}}`
	tests := []struct {
		name, contentType, body string
		ok                      bool
	}{
		{"numeric event_time", "application/json", numeric, true},
		{"no content type", "", numeric, true},
		{"url-encoded json field", "application/x-www-form-urlencoded", "json=" + url.QueryEscape(numeric), true},
		{"url-encoded without json", "application/x-www-form-urlencoded", "other=1", false},
		{"multipart without boundary", "multipart/form-data", numeric, false},
		{"multipart truncated", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{", false},
		{"uppercase hash", "application/json", `{"event":{"event_time":"1348177752","event_type":"signature_request_sent","event_hash":"08D45A6B7677492B78BE030CEF18CFEAECE8FE67E163CC8E526EE638AD483756"}}`, true},
		{"hash not hex", "application/json", `{"event":{"event_time":"1","event_type":"x","event_hash":"zz"}}`, false},
		{"not json", "application/json", `Hello`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.contentType != "" {
				h.Set("Content-Type", tt.contentType)
			}
			err := newAdapter(t).Authenticate(&providers.Request{Method: http.MethodPost, Header: h, Body: []byte(tt.body)}, time.Now())
			if tt.ok && err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if !tt.ok && !errors.Is(err, providers.ErrUnauthenticated) {
				t.Fatalf("Authenticate = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

func FuzzAdapter(f *testing.F) {
	f.Add("POST", "Content-Type: multipart/form-data; boundary=b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{\"event\":{\"event_time\":[]}}\r\n--b--"), int64(0))
	f.Add("POST", "Content-Type: application/x-www-form-urlencoded", "", []byte("json=%7B%7D"), int64(0))
	providertest.Fuzz(f, newAdapter(f), providertest.Load(f, "testdata/*.json")...)
}
