package config

import (
	"errors"
	"strings"
	"testing"
)

func TestAdminTokensPlainAndScoped(t *testing.T) {
	t.Setenv("CS_OPS_TOKEN", "ops-secret")
	f, err := Parse("c.yaml", []byte(`
admin:
  tokens:
    - plain-token
    - {token: "env:CS_OPS_TOKEN", tenants: [acme], role: read, name: acme-viewer}
    - {token: op-token, role: operate}
tenants:
  - id: acme
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []AdminToken{
		{Token: NewSecret("plain-token"), Role: RoleOperate, Name: "token#0"},
		{Token: Secret{value: "ops-secret", Ref: "env:CS_OPS_TOKEN"}, Tenants: []string{"acme"}, Role: RoleRead, Name: "acme-viewer"},
		{Token: NewSecret("op-token"), Role: RoleOperate, Name: "token#2"},
	}
	for i, w := range want {
		g := f.Admin.Tokens[i]
		if g.Token != w.Token || g.Role != w.Role || g.Name != w.Name || strings.Join(g.Tenants, ",") != strings.Join(w.Tenants, ",") {
			t.Errorf("tokens[%d] = %+v, want %+v", i, g, w)
		}
	}
}

func TestAdminTokensInvalid(t *testing.T) {
	_, err := Parse("c.yaml", []byte(`
admin:
  tokens:
    - {token: a, role: admin}
    - {token: b, tenants: [nobody], name: x}
    - {token: c, name: x}
    - {tenants: [acme]}
tenants:
  - id: acme
`))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	for _, w := range []string{
		`admin.tokens[0].role: unknown role "admin" (want read or operate) (line 4)`,
		`admin.tokens[1].tenants[0]: unknown tenant "nobody"`,
		`admin.tokens[2].name: duplicate token name "x" (also admin.tokens[1])`,
		`admin.tokens[3]: empty token`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "b,") || strings.Contains(err.Error(), ": a ") {
		t.Errorf("message shows a token: %v", err)
	}
}

func TestRotationLists(t *testing.T) {
	f, err := Parse("c.yaml", []byte(`
admin: {tokens: [t]}
tenants:
  - id: acme
    providers:
      - {kind: dropboxsign, api_keys: [new-key, old-key]}
      - {kind: esignanywhere, callback_token: tok-1, callback_tokens: [tok-2]}
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if k := f.Tenants[0].Providers[0].DropboxAPIKeys(); len(k) != 2 || k[0].Value() != "new-key" {
		t.Errorf("dropbox keys = %v", k)
	}
	if k := f.Tenants[0].Providers[1].ESignAnyWhereTokens(); len(k) != 2 || k[0].Value() != "tok-1" || k[1].Value() != "tok-2" {
		t.Errorf("esignanywhere tokens = %v", k)
	}
	_, err = Parse("c.yaml", []byte(`
admin: {tokens: [t]}
tenants:
  - id: acme
    providers:
      - {kind: dropboxsign}
      - {kind: esignanywhere, callback_tokens: [""]}
      - {kind: docusign, hmac_keys: [k], api_keys: [x]}
`))
	for _, w := range []string{
		"tenants[0].providers[0].api_key: required for kind dropboxsign (or api_keys: [...] to rotate)",
		"tenants[0].providers[1].callback_tokens[0]: empty",
		"tenants[0].providers[2].api_keys: api_keys does not apply to kind docusign",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
}

func TestStreamsEncryptionKey(t *testing.T) {
	t.Setenv("CS_STORE_KEY", "0123456789abcdef0123")
	f, err := Parse("c.yaml", []byte("admin: {tokens: [t]}\nstreams: {encryption_key: \"env:CS_STORE_KEY\"}\n"))
	if err != nil || f.Streams.EncryptionKey.Value() != "0123456789abcdef0123" {
		t.Fatalf("Parse: %v", err)
	}
	_, err = Parse("c.yaml", []byte("admin: {tokens: [t]}\nstreams: {encryption_key: short}\n"))
	if err == nil || !strings.Contains(err.Error(), "streams.encryption_key: too short: at least 16 characters") || strings.Contains(err.Error(), "short:") && strings.Contains(err.Error(), `"short"`) {
		t.Fatalf("short key: %v", err)
	}
}

func TestTLSSections(t *testing.T) {
	_, err := Parse("/etc/cs/c.yaml", []byte(`
admin: {tokens: [t], tls: {cert_file: a.pem}}
ingress: {tls: {cert_file: /nonexistent/a.pem, key_file: /nonexistent/a.key, client_ca_file: ca.pem}}
`))
	for _, w := range []string{
		"admin.tls.key_file: required",
		"ingress.tls: cannot load the key pair: open /nonexistent/a.pem",
		"ingress.tls.client_ca_file: client_ca_file applies to admin.tls only",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
}
