package esignanywhere_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/esignanywhere"
)

// During a token rotation both the old and the new callback URL's token
// authenticate.
func TestAuthenticateRotatedTokens(t *testing.T) {
	a, err := esignanywhere.New(config.Provider{Kind: providers.KindESignAnyWhere,
		CallbackTokens: []config.Secret{config.NewSecret("token-new"), config.NewSecret("token-old")}})
	if err != nil {
		t.Fatal(err)
	}
	for token, ok := range map[string]bool{"token-new": true, "token-old": true, "token-older": false, "token-": false} {
		q := url.Values{"envelope": {"e1"}, "action": {"envelopeFinished"}, "token": {token}}
		err := a.Authenticate(&providers.Request{Method: http.MethodGet, Query: q}, time.Now())
		if ok != (err == nil) || (!ok && !errors.Is(err, providers.ErrUnauthenticated)) {
			t.Errorf("token %s: Authenticate = %v, want ok=%v", token, err, ok)
		}
	}
	if _, err := esignanywhere.New(config.Provider{Kind: providers.KindESignAnyWhere, CallbackTokens: []config.Secret{config.NewSecret("")}}); !errors.Is(err, esignanywhere.ErrNoToken) {
		t.Errorf("only empty tokens: %v, want ErrNoToken", err)
	}
}
