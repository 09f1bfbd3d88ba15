package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const (
		file     = "deploy/countersign.yaml"
		badWhsec = "whsec_not*base64!"
		literal  = "hunter2-literal-secret"
	)
	head := "admin:\n  tokens: [\"" + literal + "\"]\n"
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		// files are written beside the config file.
		files map[string]string
		is    error
		want  []string
		// secrets must not appear in the message.
		secrets []string
	}{
		{
			name: "unknown field with path and line",
			yaml: head + `tenants:
  - id: acme
    providers:
      - kind: docusign
        hmac_keys: [k]
      - kind: adobesign
        client_ids: [c]
        bogus: 1
`,
			is:   ErrUnknownField,
			want: []string{file + ": tenants[0].providers[1].bogus: unknown field (line 10)"},
		},
		{
			name: "unknown top-level field",
			yaml: head + "tenant: []\n",
			is:   ErrUnknownField,
			want: []string{file + ": tenant: unknown field (line 3)"},
		},
		{
			name: "unknown kind",
			yaml: head + "tenants:\n  - id: acme\n    providers:\n      - kind: pandadoc\n",
			is:   ErrInvalid,
			want: []string{file + ": tenants[0].providers[0].kind: unknown provider kind \"pandadoc\"", "(line 6)"},
		},
		{
			name:    "malformed whsec secret",
			yaml:    head + "tenants:\n  - id: acme\n    providers:\n      - kind: standardwebhooks\n        secrets: [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"" + badWhsec + "\"]\n",
			is:      ErrInvalid,
			want:    []string{file + ": tenants[0].providers[0].secrets[1]: malformed secret", "(line 7)"},
			secrets: []string{badWhsec, "not*base64", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		},
		{
			name:    "secret without whsec prefix from env",
			yaml:    head + "tenants:\n  - id: acme\n    providers:\n      - kind: standardwebhooks\n        secrets: [env:CS_TEST_WHSEC]\n",
			env:     map[string]string{"CS_TEST_WHSEC": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			is:      ErrInvalid,
			want:    []string{"tenants[0].providers[0].secrets[0]: malformed secret (from env:CS_TEST_WHSEC)"},
			secrets: []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		},
		{
			name: "missing env var",
			yaml: "admin:\n  tokens: [env:CS_TEST_UNSET_VAR]\n",
			is:   ErrSecret,
			want: []string{file + ": admin.tokens[0]: environment variable CS_TEST_UNSET_VAR is not set or empty (line 2)"},
		},
		{
			name:  "unreadable file reference",
			yaml:  head + "tenants:\n  - id: acme\n    providers:\n      - kind: dropboxsign\n        api_key: file:secrets/missing\n",
			files: map[string]string{"secrets/other": "x"},
			is:    os.ErrNotExist,
			want:  []string{file + ": tenants[0].providers[0].api_key: cannot read file:secrets/missing", "(line 7)"},
		},
		{
			name:  "empty file reference",
			yaml:  head + "tenants:\n  - id: acme\n    providers:\n      - kind: esignanywhere\n        callback_token: file:empty\n",
			files: map[string]string{"empty": "\n"},
			is:    ErrSecret,
			want:  []string{"tenants[0].providers[0].callback_token: file:empty is empty"},
		},
		{
			name:    "field not applying to kind",
			yaml:    head + "tenants:\n  - id: acme\n    providers:\n      - kind: standardwebhooks\n        secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]\n        hmac_keys: [" + literal + "]\n",
			is:      ErrInvalid,
			want:    []string{file + ": tenants[0].providers[0].hmac_keys: hmac_keys does not apply to kind standardwebhooks (line 8)"},
			secrets: []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		},
		{
			name: "tolerance not applying to docusign",
			yaml: head + "tenants:\n  - id: acme\n    providers:\n      - kind: docusign\n        hmac_keys: [k]\n        tolerance: 1m\n",
			is:   ErrInvalid,
			want: []string{"tenants[0].providers[0].tolerance: tolerance does not apply to kind docusign (line 8)"},
		},
		{
			name: "bad tenant id",
			yaml: head + "tenants:\n  - id: Acme.Corp\n",
			is:   ErrInvalid,
			want: []string{file + ": tenants[0].id: invalid tenant id \"Acme.Corp\"", "(line 4)"},
		},
		{
			name: "tenant id too long",
			yaml: head + "tenants:\n  - id: " + strings.Repeat("a", 65) + "\n",
			is:   ErrInvalid,
			want: []string{"tenants[0].id: invalid tenant id"},
		},
		{
			name: "duplicate tenant",
			yaml: head + "tenants:\n  - id: acme\n  - id: acme\n",
			is:   ErrInvalid,
			want: []string{file + ": tenants[1].id: duplicate tenant id \"acme\" (also tenants[0]) (line 5)"},
		},
		{
			name: "duplicate provider kind",
			yaml: head + "tenants:\n  - id: acme\n    providers:\n      - {kind: adobesign, client_ids: [a]}\n      - {kind: adobesign, client_ids: [b]}\n",
			is:   ErrInvalid,
			want: []string{"tenants[0].providers[1].kind: duplicate provider kind \"adobesign\""},
		},
		{
			name: "bad duration",
			yaml: head + "ingress:\n  read_timeout: 5 minutes\n",
			is:   ErrInvalid,
			want: []string{file + ": ingress.read_timeout: invalid duration \"5 minutes\"", "(line 4)"},
		},
		{
			name: "missing admin tokens",
			yaml: "tenants: []\n",
			is:   ErrInvalid,
			want: []string{file + ": admin.tokens: at least one admin token is required"},
		},
		{
			name: "required fields per kind",
			yaml: head + "tenants:\n  - id: acme\n    providers:\n      - kind: standardwebhooks\n      - kind: docusign\n      - kind: dropboxsign\n      - kind: adobesign\n      - kind: esignanywhere\n      - {}\n",
			is:   ErrInvalid,
			want: []string{
				"tenants[0].providers[0].secrets: at least one whsec_ secret is required",
				"tenants[0].providers[1].hmac_keys: at least one Connect HMAC key is required",
				"tenants[0].providers[2].api_key: required for kind dropboxsign",
				"tenants[0].providers[3].client_ids: at least one client id is required",
				"tenants[0].providers[4].callback_token: required for kind esignanywhere",
				"tenants[0].providers[5].kind: kind is required",
			},
		},
		{
			name: "api settings",
			yaml: head + `tenants:
  - id: acme
    providers:
      - kind: docusign
        hmac_keys: [k]
        api: {base_url: "/relative", rate: -1}
      - kind: dropboxsign
        api_key: key
        api: {base_url: "ftp://x", token: "` + literal + `", account_id: a}
`,
			is: ErrInvalid,
			want: []string{
				"tenants[0].providers[0].api.base_url: want an absolute http(s) URL",
				"tenants[0].providers[0].api.token: required for kind docusign",
				"tenants[0].providers[0].api.account_id: required for kind docusign",
				"tenants[0].providers[0].api.rate: must not be negative",
				"tenants[0].providers[1].api.base_url: want an absolute http(s) URL",
				"tenants[0].providers[1].api.token: token does not apply to kind dropboxsign",
				"tenants[0].providers[1].api.account_id: account_id does not apply to kind dropboxsign",
			},
		},
		{
			name: "negative limits and stream bounds",
			yaml: head + "streams: {replicas: 7, max_deliver: -1, in_flight: 5000}\ningress: {max_body_bytes: -5}\ntenants:\n  - id: acme\n    rate_limit: {rate: -1, burst: -2}\n",
			is:   ErrInvalid,
			want: []string{
				"streams.replicas: must be between 1 and 5",
				"streams.max_deliver: must be at least 1",
				"streams.in_flight: must be between 1 and 4096",
				"ingress.max_body_bytes: must not be negative",
				"tenants[0].rate_limit.rate: must not be negative",
				"tenants[0].rate_limit.burst: must not be negative",
			},
		},
		{
			name: "wrong types name the field, not the value",
			yaml: head + "ingress:\n  max_body_bytes: " + literal + "\nadmin2: x\ntenants:\n  id: acme\n",
			is:   ErrInvalid,
			want: []string{
				file + ": ingress.max_body_bytes: want an integer, got a string (line 4)",
				file + ": admin2: unknown field (line 5)",
				file + ": tenants: want a sequence, got a mapping (line 7)",
			},
		},
		{
			name: "secret given as a mapping",
			yaml: "admin:\n  tokens: [{token: {value: " + literal + "}}]\n",
			is:   ErrInvalid,
			want: []string{"admin.tokens[0].token: want a secret string, got a mapping (line 2)"},
		},
		{
			name: "duplicate field",
			yaml: head + "streams:\n  replicas: 1\n  replicas: 3\n",
			is:   ErrInvalid,
			want: []string{"streams.replicas: duplicate field (line 5)"},
		},
		{
			name: "yaml syntax error",
			yaml: "admin:\n  tokens: [\"" + literal + "\"\n",
			is:   ErrSyntax,
			want: []string{file + ": "},
		},
		{
			name: "top level is not a mapping",
			yaml: "- a\n- b\n",
			is:   ErrInvalid,
			want: []string{file + ": want a mapping, got a sequence (line 1)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			// Parse resolves file: against the directory of the path it is
			// given, so the files go to deploy/ under the working directory.
			dir := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(dir, "deploy", name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			f, err := Parse(file, []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", f)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error does not wrap %v: %v", tt.is, err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.File != file {
				t.Errorf("error is not a *FieldError for %s: %#v", file, err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			for _, s := range append(tt.secrets, literal) {
				if strings.Contains(msg, s) {
					t.Errorf("message reveals secret %q:\n%s", s, msg)
				}
			}
		})
	}
}

func TestValidateProgrammaticConfig(t *testing.T) {
	tests := []struct {
		name string
		f    File
		want string
	}{
		{"valid", File{Admin: Admin{Tokens: []AdminToken{{Token: NewSecret("t")}}}, Tenants: []Tenant{{ID: "a"}}}, ""},
		{"no path names config", File{}, "config: admin.tokens: at least one admin token is required"},
		{"empty token", File{Path: "x.yaml", Admin: Admin{Tokens: []AdminToken{{Token: NewSecret("")}}}}, "x.yaml: admin.tokens[0]: empty token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.ApplyDefaults()
			err := tt.f.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidWebhookSecret(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true},
		{"whsec_dGVzdA==", true},
		{"whsec_dGVzdA", true},
		{"whsec_", false},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},
		{"whsec_dGVzd-_A", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validWebhookSecret(tt.in); got != tt.want {
				t.Fatalf("validWebhookSecret(%q) = %v", tt.in, got)
			}
		})
	}
}
