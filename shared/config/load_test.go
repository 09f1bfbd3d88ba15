package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// contractExample is CONTRACT.md's example config, which must be accepted
// as it stands.
const contractExample = `admin:
  tokens: ["env:COUNTERSIGN_ADMIN_TOKEN"]      # literal values allowed too; file:PATH as well
tenants:
  - id: acme                                    # [a-z0-9_-]{1,64}
    providers:
      - kind: standardwebhooks                  # Standard Webhooks v1 (Svix-style) senders
        secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]   # several = rotation
        tolerance: 5m
      - kind: docusign                          # Connect, HMAC keys (several = rotation)
        hmac_keys: ["docusign-test-key"]
      - kind: dropboxsign
        api_key: "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
      - kind: adobesign
        client_ids: ["adobe-client-1"]
      - kind: esignanywhere
        callback_token: "esaw-token-1"
`

func TestParseContractExample(t *testing.T) {
	t.Setenv("COUNTERSIGN_ADMIN_TOKEN", "admin-secret-1")
	f, err := Parse("deploy/countersign.yaml", []byte(contractExample))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(f.Admin.Tokens) != 1 || f.Admin.Tokens[0].Token.Value() != "admin-secret-1" || f.Admin.Tokens[0].Token.Ref != "env:COUNTERSIGN_ADMIN_TOKEN" {
		t.Fatalf("admin tokens = %#v", f.Admin.Tokens)
	}
	acme, ok := f.Tenant("acme")
	if !ok {
		t.Fatal("tenant acme missing")
	}
	if _, ok := f.Tenant("other"); ok {
		t.Fatal("tenant other found")
	}
	tests := []struct {
		kind  string
		check func(p *Provider) bool
	}{
		{"standardwebhooks", func(p *Provider) bool {
			return len(p.Secrets) == 1 && p.Secrets[0].Value() == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" && p.Tolerance.D() == 5*time.Minute
		}},
		{"docusign", func(p *Provider) bool { return len(p.HMACKeys) == 1 && p.HMACKeys[0].Value() == "docusign-test-key" }},
		{"dropboxsign", func(p *Provider) bool {
			return p.APIKey.Value() == "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
		}},
		{"adobesign", func(p *Provider) bool { return len(p.ClientIDs) == 1 && p.ClientIDs[0] == "adobe-client-1" }},
		{"esignanywhere", func(p *Provider) bool { return p.CallbackToken.Value() == "esaw-token-1" && p.API == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			p, ok := acme.Provider(tt.kind)
			if !ok {
				t.Fatalf("provider %s missing", tt.kind)
			}
			if !tt.check(p) {
				t.Fatalf("provider %s = %#v", tt.kind, p)
			}
		})
	}
	if _, ok := acme.Provider("pandadoc"); ok {
		t.Fatal("provider pandadoc found")
	}
	if f.Ingress.MaxBodyBytes != 10<<20 || acme.RateLimit.Rate != 2000 || acme.RateLimit.Burst != 4000 {
		t.Fatalf("defaults not applied: %+v %+v", f.Ingress, acme.RateLimit)
	}
}

func TestSecretReferences(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o755); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "abs-token")
	for name, content := range map[string]string{
		"secrets/hmac":  "hmac-from-file\n",
		"secrets/crlf":  "crlf-from-file\r\n",
		"secrets/plain": "no-newline",
		"abs-token":     "absolute\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("CS_TEST_KEY", "key-from-env")
	cfg := `admin:
  tokens: ["literal-token", "file:` + abs + `"]
tenants:
  - id: acme
    providers:
      - kind: docusign
        hmac_keys: ["env:CS_TEST_KEY", "file:secrets/hmac", "file:secrets/crlf", "file:secrets/plain"]
`
	path := filepath.Join(dir, "countersign.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tests := []struct {
		name      string
		got       Secret
		wantValue string
		wantRef   string
	}{
		{"literal", f.Admin.Tokens[0].Token, "literal-token", ""},
		{"absolute file", f.Admin.Tokens[1].Token, "absolute", "file:" + abs},
		{"env", f.Tenants[0].Providers[0].HMACKeys[0], "key-from-env", "env:CS_TEST_KEY"},
		{"relative file", f.Tenants[0].Providers[0].HMACKeys[1], "hmac-from-file", "file:secrets/hmac"},
		{"crlf file", f.Tenants[0].Providers[0].HMACKeys[2], "crlf-from-file", "file:secrets/crlf"},
		{"file without newline", f.Tenants[0].Providers[0].HMACKeys[3], "no-newline", "file:secrets/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.Value() != tt.wantValue || tt.got.Ref != tt.wantRef {
				t.Fatalf("got value %q ref %q, want %q %q", tt.got.Value(), tt.got.Ref, tt.wantValue, tt.wantRef)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("Load of a missing file: %v", err)
	}
}

func TestParseYAMLFeatures(t *testing.T) {
	t.Setenv("CS_TEST_ADMIN", "a")
	tests := []struct {
		name  string
		yaml  string
		check func(f *File) bool
	}{
		{"null values keep defaults", `admin: {tokens: [t]}
ingress:
  read_timeout:
streams: ~
tenants:
`, func(f *File) bool { return f.Ingress.ReadTimeout.D() == 15*time.Second && f.Streams.Replicas == 1 }},
		{"days and explicit values win over defaults", `admin: {tokens: [t]}
ingress: {max_body_bytes: 1024, persist_timeout: 2s}
streams: {replicas: 3, raw_max_age: 7d, dlq_max_age: 1d, ledger_max_age: 8760h, max_deliver: 4, sync_always: true}
`, func(f *File) bool {
			return f.Ingress.MaxBodyBytes == 1024 && f.Ingress.PersistTimeout.D() == 2*time.Second &&
				f.Streams.Replicas == 3 && f.Streams.RawMaxAge.D() == 7*24*time.Hour &&
				f.Streams.DLQMaxAge.D() == 24*time.Hour && f.Streams.LedgerMaxAge.D() == 8760*time.Hour &&
				f.Streams.MaxDeliver == 4 && f.Streams.SyncAlways
		}},
		{"provider api with defaults", `admin: {tokens: [t]}
tenants:
  - id: acme
    providers:
      - kind: docusign
        hmac_keys: [k]
        api: {base_url: "https://demo.docusign.net/restapi", token: tok, account_id: acct-1}
`, func(f *File) bool {
			a := f.Tenants[0].Providers[0].API
			return a != nil && a.Rate == 10 && a.Burst == 10 && a.Timeout.D() == 10*time.Second && a.Token.Value() == "tok"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(f) {
				t.Fatalf("unexpected result: %+v", f)
			}
		})
	}
}

func TestParseAliasesAndMergeKeys(t *testing.T) {
	const cfg = `admin: {tokens: [t]}
tenants:
  - id: one
    rate_limit: &rl {rate: 5, burst: 7}
    providers: &provs
      - &adobe
        kind: adobesign
        client_ids: [c1]
  - id: two
    rate_limit: *rl
    providers: *provs
  - id: three
    providers:
      - <<: *adobe
        client_ids: [c3]
`
	f, err := Parse("c.yaml", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	two, _ := f.Tenant("two")
	three, _ := f.Tenant("three")
	if two == nil || two.RateLimit.Burst != 7 || two.Providers[0].ClientIDs[0] != "c1" {
		t.Fatalf("aliases not followed: %+v", two)
	}
	if three == nil || three.Providers[0].Kind != "adobesign" || len(three.Providers[0].ClientIDs) != 1 || three.Providers[0].ClientIDs[0] != "c3" {
		t.Fatalf("merge key not applied (explicit keys must win): %+v", three)
	}
}

func TestApplyDefaultsIsIdempotentAndKeepsValues(t *testing.T) {
	f := &File{
		Streams: Streams{Replicas: 3},
		Tenants: []Tenant{{ID: "a", RateLimit: RateLimit{Rate: 1}, Providers: []Provider{
			{Kind: "standardwebhooks"}, {Kind: "docusign"},
		}}},
	}
	f.ApplyDefaults()
	once := *f
	f.ApplyDefaults()
	tests := []struct {
		name      string
		got, want any
	}{
		{"replicas kept", f.Streams.Replicas, 3},
		{"max deliver", f.Streams.MaxDeliver, 100},
		{"raw age", f.Streams.RawMaxAge.D(), 30 * 24 * time.Hour},
		{"dlq age", f.Streams.DLQMaxAge.D(), 365 * 24 * time.Hour},
		{"ledger age stays forever", f.Streams.LedgerMaxAge.D(), time.Duration(0)},
		{"read", f.Ingress.ReadTimeout.D(), 15 * time.Second},
		{"write", f.Ingress.WriteTimeout.D(), 30 * time.Second},
		{"idle", f.Ingress.IdleTimeout.D(), 120 * time.Second},
		{"persist", f.Ingress.PersistTimeout.D(), 5 * time.Second},
		{"rate kept", f.Tenants[0].RateLimit.Rate, 1.0},
		{"burst", f.Tenants[0].RateLimit.Burst, 4000},
		{"tolerance for standardwebhooks", f.Tenants[0].Providers[0].Tolerance.D(), 5 * time.Minute},
		{"no tolerance for docusign", f.Tenants[0].Providers[1].Tolerance.D(), time.Duration(0)},
		{"idempotent", once.Ingress, f.Ingress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestSecretNeverFormatsItsValue(t *testing.T) {
	const value = "s3cr3t-value"
	tests := []struct {
		name string
		s    Secret
		want string
	}{
		{"literal", NewSecret(value), "[redacted]"},
		{"reference", Secret{value: value, Ref: "env:X"}, "env:X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.s.MarshalYAML()
			if err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{tt.s.String(), tt.s.GoString(), m.(string)} {
				if strings.Contains(out, value) || !strings.Contains(out, tt.want) {
					t.Fatalf("formatted as %q", out)
				}
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"5m", 5 * time.Minute, false},
		{"24h", 24 * time.Hour, false},
		{"30d", 30 * 24 * time.Hour, false},
		{"0", 0, false},
		{"1h30m", 90 * time.Minute, false},
		{"five", 0, true},
		{"d", 0, true},
		{"99999999d", 0, true},
		{"5", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.wantErr || got.D() != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v", tt.in, got.D(), err)
			}
		})
	}
}

func TestRetryPolicyDefaultsAndOverrides(t *testing.T) {
	f, err := Parse("retry.yaml", []byte(`
admin: {tokens: ["t"]}
retry:
  schedule: [1s, 2s]
  consumers:
    statesync: {budget: 3h}
tenants:
  - id: acme
    providers: [{kind: standardwebhooks, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	v, s := f.Retry.For("verifier"), f.Retry.For("statesync")
	if len(v.Schedule) != 2 || v.Budget.D() != DefaultRetryBudget {
		t.Errorf("verifier policy %+v", v)
	}
	if len(s.Schedule) != 2 || s.Budget.D() != 3*time.Hour {
		t.Errorf("statesync policy %+v", s)
	}
	var d Retry
	d.applyDefaults()
	var total time.Duration
	for _, x := range d.Schedule {
		total += x.D()
	}
	if total < time.Hour || len(d.Schedule) < 5 || len(d.Schedule) > 10 || d.Schedule[len(d.Schedule)-1].D() > time.Hour {
		t.Errorf("default schedule %v spans %s", d.Schedule, total)
	}
	if _, err := Parse("bad.yaml", []byte(`
admin: {tokens: ["t"]}
retry: {schedule: [0s], consumers: {bogus: {}}}
tenants: [{id: acme, providers: [{kind: standardwebhooks, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}]}]
`)); err == nil || !strings.Contains(err.Error(), "retry.schedule[0]") || !strings.Contains(err.Error(), "retry.consumers.bogus") {
		t.Errorf("bad retry config: %v", err)
	}
}
