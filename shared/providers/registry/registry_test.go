package registry_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/registry"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     config.Provider
		intent  bool
		wantErr string
	}{
		{"standardwebhooks", config.Provider{Kind: providers.KindStandardWebhooks, Secrets: []config.Secret{config.NewSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}}, false, ""},
		{"docusign", config.Provider{Kind: providers.KindDocuSign, HMACKeys: []config.Secret{config.NewSecret("k")}}, false, ""},
		{"dropboxsign", config.Provider{Kind: providers.KindDropboxSign, APIKey: config.NewSecret("k")}, false, ""},
		{"adobesign", config.Provider{Kind: providers.KindAdobeSign, ClientIDs: []string{"c"}}, true, ""},
		{"esignanywhere", config.Provider{Kind: providers.KindESignAnyWhere, CallbackToken: config.NewSecret("t")}, false, ""},
		{"bad config names the kind", config.Provider{Kind: providers.KindStandardWebhooks, Secrets: []config.Secret{config.NewSecret("plain")}}, false, "standardwebhooks: secrets[0]: "},
		{"missing config", config.Provider{Kind: providers.KindDocuSign}, false, "docusign: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := registry.New(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || a != nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("New = %v, %v; want nil and an error starting %q", a, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if a.Kind() != tt.cfg.Kind {
				t.Errorf("Kind = %q, want %q", a.Kind(), tt.cfg.Kind)
			}
			if _, ok := a.(providers.Intent); ok != tt.intent {
				t.Errorf("implements Intent = %v, want %v", ok, tt.intent)
			}
			if _, ok := a.(providers.Confirmer); !ok {
				t.Errorf("%T is no Confirmer", a)
			}
		})
	}
}

func TestNewUnknownKind(t *testing.T) {
	_, err := registry.New(config.Provider{Kind: "pandadoc"})
	if !errors.Is(err, registry.ErrUnknownKind) {
		t.Fatalf("New = %v, want ErrUnknownKind", err)
	}
	for _, k := range append([]string{"pandadoc"}, providers.Kinds...) {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not mention %q", err, k)
		}
	}
}

// TestNewHMAC: a generic HMAC provider's adapter goes by its configured
// name, and has no API to confirm with.
func TestNewHMAC(t *testing.T) {
	cfg := config.Provider{Kind: providers.KindHMAC, Secrets: []config.Secret{config.NewSecret("k")}, HMAC: config.HMAC{
		Name:      "pandadoc",
		Signature: &config.HMACSignature{From: "query:signature"},
		Events:    &config.HMACEvents{Type: "/event", EnvelopeID: "/data/id", OccurredAt: "/data/date_modified"},
		Types:     map[string]string{"document_state_changed:document.completed": "completed"},
	}}
	a, err := registry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind() != "pandadoc" {
		t.Errorf("Kind = %q, want the name pandadoc", a.Kind())
	}
	if _, ok := a.(providers.Confirmer); ok {
		t.Errorf("%T is a Confirmer, but a generic provider has no API", a)
	}
	cfg.Events.Type = "event"
	if _, err := registry.New(cfg); err == nil || !strings.Contains(err.Error(), "hmac: events.type: not a JSON pointer") {
		t.Errorf("New with a bad pointer = %v", err)
	}
}

// Every kind countersign names has its package's declaration in All, in
// order, and a kind has an API client exactly when config lets it have
// an api: section.
func TestAllKindsDeclared(t *testing.T) {
	if len(registry.All) != len(providers.Kinds) {
		t.Fatalf("%d kinds declared, providers.Kinds has %d", len(registry.All), len(providers.Kinds))
	}
	for i, k := range registry.All {
		if k.Name != providers.Kinds[i] || k.Adapter == nil {
			t.Errorf("All[%d] = %q (adapter %v), want %q with an adapter", i, k.Name, k.Adapter != nil, providers.Kinds[i])
		}
		if hasAPI := slices.Contains(k.Fields, "api"); hasAPI != (k.Client != nil) {
			t.Errorf("%s: api field %v but client %v", k.Name, hasAPI, k.Client != nil)
		}
	}
}
