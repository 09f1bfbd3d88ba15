package dropboxsign_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/dropboxsign"
)

// During a key rotation callbacks signed with the old and the new key
// both authenticate; a key in neither list does not.
func TestAuthenticateRotatedKeys(t *testing.T) {
	const oldKey, newKey, otherKey = "old-dropbox-key", "new-dropbox-key", "someone-elses-key"
	a, err := dropboxsign.New(config.Provider{Kind: providers.KindDropboxSign,
		APIKey: config.NewSecret(newKey), APIKeys: []config.Secret{config.NewSecret(oldKey)}})
	if err != nil {
		t.Fatal(err)
	}
	only, err := dropboxsign.New(config.Provider{Kind: providers.KindDropboxSign, APIKeys: []config.Secret{config.NewSecret(oldKey)}})
	if err != nil {
		t.Fatalf("api_keys alone: %v", err)
	}
	body := func(key string) []byte {
		h := dropboxsign.EventHash(key, "1348177752", "signature_request_sent")
		return []byte(`{"event":{"event_time":"1348177752","event_type":"signature_request_sent","event_hash":"` + h + `"}}`)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for _, tt := range []struct {
		name string
		a    *dropboxsign.Adapter
		key  string
		ok   bool
	}{
		{"new key", a, newKey, true}, {"old key", a, oldKey, true}, {"other key", a, otherKey, false},
		{"api_keys only", only, oldKey, true}, {"api_keys only, other", only, newKey, false},
	} {
		err := tt.a.Authenticate(&providers.Request{Method: http.MethodPost, Header: h, Body: body(tt.key)}, time.Now())
		if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, providers.ErrUnauthenticated)) {
			t.Errorf("%s: Authenticate = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
