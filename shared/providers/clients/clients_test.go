package clients

import (
	"errors"
	"testing"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

func TestNew(t *testing.T) {
	api := &config.API{BaseURL: "https://api.example.com", Token: config.NewSecret("t"), AccountID: "a"}
	tests := []struct {
		name       string
		cfg        config.Provider
		wantClient bool
		wantLister bool
		wantErr    error
		// wantAnyErr: an error is due, of no particular sentinel.
		wantAnyErr bool
	}{
		{name: "no api section", cfg: config.Provider{Kind: providers.KindDocuSign}},
		{name: "docusign", cfg: config.Provider{Kind: providers.KindDocuSign, API: api}, wantClient: true, wantLister: true},
		{name: "dropboxsign", cfg: config.Provider{Kind: providers.KindDropboxSign, APIKey: config.NewSecret("k"), API: api}, wantClient: true, wantLister: true},
		{name: "adobesign", cfg: config.Provider{Kind: providers.KindAdobeSign, API: api}, wantClient: true},
		{name: "esignanywhere", cfg: config.Provider{Kind: providers.KindESignAnyWhere, API: api}, wantClient: true},
		{name: "standardwebhooks has no API", cfg: config.Provider{Kind: providers.KindStandardWebhooks, API: api}, wantErr: providers.ErrNoAPI},
		{name: "unknown kind", cfg: config.Provider{Kind: "pandadoc", API: api}, wantErr: ErrUnknownKind},
		{name: "bad base url", cfg: config.Provider{Kind: providers.KindAdobeSign, API: &config.API{BaseURL: "/relative"}}, wantAnyErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg, apiclient.Options{})
			switch {
			case tt.wantErr != nil || tt.wantAnyErr:
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if c != nil {
					t.Fatalf("client %#v returned with an error: want a nil interface", c)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if (c != nil) != tt.wantClient {
				t.Fatalf("client = %#v, want one: %v", c, tt.wantClient)
			}
			if _, ok := c.(providers.ChangeLister); ok != tt.wantLister {
				t.Fatalf("%T is a ChangeLister: %v, want %v", c, ok, tt.wantLister)
			}
		})
	}
}
