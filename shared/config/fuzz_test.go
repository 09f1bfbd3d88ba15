package config

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// is valid and stable under ApplyDefaults.
func FuzzParse(f *testing.F) {
	f.Setenv("COUNTERSIGN_ADMIN_TOKEN", "fuzz-admin-token")
	seeds := []string{
		contractExample,
		"",
		"~",
		"- a\n",
		"admin: {tokens: [t]}\ntenants: [{id: a, providers: [{kind: docusign, hmac_keys: [k], api: {base_url: 'http://x', token: t, account_id: a}}]}]\n",
		"admin: &a {tokens: [*a]}\n",
		"a: &a [*a]\n",
		"admin:\n  tokens: [env:]\n  <<: [{tokens: [file:]}]\n",
		"streams: {replicas: 1e9, raw_max_age: 9223372036854775807d}\n",
		"tenants: [{providers: [{api: {}}, {api: []}, {secrets: {}}]}]\n",
		"? [a]\n: b\n",
		"admin: {tokens: [t]}\ntenants: [{id: a, providers: [{kind: hmac, name: p, secrets: ['base64:eA'], signature: {from: 'header:X-S', prefix: 'sha256='}, signed: '{header:X-T}.{body}', timestamp: {from: 'query:t', tolerance: 1m}, events: {path: /a~1b, type: /e, envelope_id: /i, occurred_at: /t}, types: {'e:s': sent}}]}]\n",
		"admin: {tokens: [t]}\ningress: {max_body_bytes: 0x10, read_timeout: !!binary aGVsbG8=}\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		c, err := Parse("fuzz/countersign.yaml", []byte(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz/countersign.yaml: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		before := *c
		c.ApplyDefaults()
		if c.Ingress != before.Ingress || c.Streams != before.Streams {
			t.Fatalf("ApplyDefaults changed an accepted config")
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
	})
}

func TestParseRejectsAliasBombs(t *testing.T) {
	tests := []struct {
		name  string
		depth int
		want  string
	}{
		{"small expansion is fine", 3, ""},
		{"exponential expansion is refused", 30, "c.yaml: streams: aliases expand too much"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte("admin: {tokens: [t]}\nstreams: "+bomb(tt.depth)+"\n"))
			if tt.want == "" && err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Parse = %v, want %q", err, tt.want)
			}
		})
	}
}

// bomb nests n merge levels, each merging the previous level three times:
// linear to write, 3^n nodes to expand.
func bomb(n int) string {
	s := "&a0 {replicas: 1}"
	for i := 1; i <= n; i++ {
		s = fmt.Sprintf("&a%d {<<: [%s, *a%d, *a%d]}", i, s, i-1, i-1)
	}
	return s
}

func TestParseCapsProblems(t *testing.T) {
	var b strings.Builder
	for i := range 3 * maxProblems {
		fmt.Fprintf(&b, "bogus%d: 1\n", i)
	}
	_, err := Parse("c.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("Parse accepted unknown fields")
	}
	if n := strings.Count(err.Error(), "unknown field"); n != maxProblems {
		t.Fatalf("%d problems reported, want %d", n, maxProblems)
	}
}
