package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/countersign/countersign/shared/config"
	_ "github.com/countersign/countersign/shared/providers/registry" // config checks providers through their kinds
	"github.com/countersign/countersign/tests/sandbox"
)

// TestRenderConfigLoads: the rendered config passes countersign's own
// loader and validation, with and without api: sections, and the api:
// sections say what the sandbox expects.
func TestRenderConfigLoads(t *testing.T) {
	tests := []struct {
		name    string
		apiURL  string
		wantAPI bool
	}{
		{"with provider APIs", "http://127.0.0.1:9999", true},
		{"webhooks only", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			yaml := RenderConfig(ConfigParams{
				AdminToken: "tok", Tenant: "acme", Secrets: DevSecrets(),
				APIBaseURL: tc.apiURL, API: DevAPI(), PersistTimeout: "2s",
			})
			if tc.wantAPI {
				checkPlaybookTenant(t, tc.apiURL)
			}
			path := filepath.Join(t.TempDir(), "countersign.yaml")
			if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := config.Load(path)
			if err != nil {
				t.Fatalf("config does not load: %v\n%s", err, yaml)
			}
			if len(f.Tenants) != 1 || len(f.Tenants[0].Providers) != len(sandbox.Kinds) {
				t.Fatalf("want one tenant with %d providers, got %+v", len(sandbox.Kinds), f.Tenants)
			}
			for _, p := range f.Tenants[0].Providers {
				hasAPI := p.API != nil
				if want := tc.wantAPI && p.Kind != sandbox.KindStandardWebhooks && p.Kind != "hmac"; hasAPI != want {
					t.Errorf("%s: api section %v, want %v", p.Kind, hasAPI, want)
				}
				if !hasAPI {
					continue
				}
				if p.API.BaseURL != tc.apiURL || p.API.Rate != 1000 || p.API.Burst != 1000 {
					t.Errorf("%s: api %+v", p.Kind, p.API)
				}
				want := map[string]string{
					sandbox.KindDocuSign:      DevDocuSignAPIToken,
					sandbox.KindAdobeSign:     DevAdobeAPIToken,
					sandbox.KindESignAnyWhere: DevESignAnyWhereAPIToken,
				}[p.Kind]
				if got := p.API.Token.Value(); got != want {
					t.Errorf("%s: api token %q, want %q", p.Kind, got, want)
				}
			}
			if !strings.Contains(yaml, "account_id: \""+sandbox.DefaultDocuSignAcct+"\"") && tc.wantAPI {
				t.Errorf("DocuSign account id missing:\n%s", yaml)
			}
		})
	}
}

// checkPlaybookTenant: the notification scenario's tenant loads with its
// playbook and Dropbox Sign alone, its API apart from the main tenant's.
func checkPlaybookTenant(t *testing.T, apiURL string) {
	t.Helper()
	yaml := RenderConfig(ConfigParams{
		AdminToken: "tok", Tenant: "acme", Secrets: DevSecrets(), APIBaseURL: apiURL, API: DevAPI(),
		Playbook: PlaybookTenant{ID: PlaybookTenantID, APIBaseURL: "http://127.0.0.1:9998", Notify: playbookNotify("127.0.0.1:2525")},
	})
	path := filepath.Join(t.TempDir(), "countersign.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatalf("config with the playbook tenant does not load: %v\n%s", err, yaml)
	}
	if len(f.Tenants) != 2 {
		t.Fatalf("%d tenants, want 2", len(f.Tenants))
	}
	pb := f.Tenants[1]
	if pb.ID != PlaybookTenantID || len(pb.Providers) != 1 || pb.Providers[0].Kind != sandbox.KindDropboxSign ||
		pb.Providers[0].API == nil || pb.Providers[0].API.BaseURL != "http://127.0.0.1:9998" {
		t.Fatalf("playbook tenant %+v", pb)
	}
	n := pb.Notify
	if n == nil || len(n.Reminders) != 2 || n.EscalateAfterFailures != 2 || n.Alternates[cfoEmail] != deputyEmail ||
		len(n.Channels) != 1 || n.Channels[0].SMTP != "127.0.0.1:2525" {
		t.Fatalf("playbook %+v", n)
	}
	if f.Tenants[0].Notify != nil {
		t.Error("the main tenant got a playbook")
	}
}
