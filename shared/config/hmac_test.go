package config

import (
	"errors"
	"strings"
	"testing"
)

// hmacConfig is a tenant with two built-in providers and a generic HMAC
// one (providers[2]); edit replaces the hmac provider's lines.
func hmacConfig(hmacLines string) string {
	return `admin:
  tokens: ["t"]
tenants:
  - id: acme
    providers:
      - kind: docusign
        hmac_keys: [k]
      - kind: dropboxsign
        api_key: k
      - kind: hmac
` + hmacLines
}

const pandadocLines = `        name: pandadoc
        secrets: ["base64:c2VjcmV0"]
        signature: {from: "query:signature", encoding: hex, algorithm: sha256}
        signed: "{body}"
        events:
          path: "/"
          type: "/event"
          envelope_id: "/data/id"
          occurred_at: "/data/date_updated"
          status: "/data/status"
        types: {"document_state_changed:document.completed": completed}
`

func TestHMACProviderAccepted(t *testing.T) {
	f, err := Parse("c.yaml", []byte(hmacConfig(pandadocLines)+`      - kind: hmac
        name: esignly
        secrets: ["s"]
        signature: {from: "header:X-Esignly-Signature", prefix: "sha256="}
        timestamp: {from: "header:X-Ts"}
        events: {type: "/event", envelope_id: "/document/id", occurred_at: "/document/updated_at"}
        types: {document.completed: completed}
`))
	if err != nil {
		t.Fatal(err)
	}
	tn, _ := f.Tenant("acme")
	p, ok := tn.Provider("pandadoc")
	if !ok || p.Kind != "hmac" || p.ID() != "pandadoc" {
		t.Fatalf("Provider(pandadoc) = %+v, %v", p, ok)
	}
	if d, ok := tn.Provider("docusign"); !ok || d.ID() != "docusign" {
		t.Errorf("Provider(docusign) = %+v, %v", d, ok)
	}
}

func TestHMACProviderErrors(t *testing.T) {
	const at = "c.yaml: tenants[0].providers[2]."
	replace := func(old, new string) string { return hmacConfig(strings.Replace(pandadocLines, old, new, 1)) }
	tests := []struct {
		name string
		yaml string
		is   error
		want string
	}{
		{"type not a pointer", replace(`type: "/event"`, `type: "event"`), ErrInvalid, at + `events.type: not a JSON pointer: "event" does not start with "/" (line 17)`},
		{"unknown algorithm", replace("algorithm: sha256", "algorithm: md5"), ErrInvalid, at + `signature.algorithm: unknown algorithm "md5" (want sha256, sha1 or sha512) (line 13)`},
		{"unknown encoding", replace("encoding: hex", "encoding: base32"), ErrInvalid, at + `signature.encoding: unknown encoding "base32" (want hex or base64)`},
		{"bad template", replace(`signed: "{body}"`, `signed: "{header:X-Ts}.{bodies}"`), ErrInvalid, at + `signed: bad signed-content template: "{header:X-Ts}.{bodies}": unknown placeholder {bodies}`},
		{"unknown canonical type", replace("completed}", "finished}"), ErrInvalid, at + `types.document_state_changed:document.completed: unknown canonical type "finished"`},
		{"bad base64 secret", replace("base64:c2VjcmV0", "base64:%%%"), ErrInvalid, at + `secrets[0]: not standard base64 after "base64:"`},
		{"name clashes with a kind", replace("name: pandadoc", "name: docusign"), ErrInvalid, at + `name: "docusign" is a provider kind`},
		{"bad name", replace("name: pandadoc", "name: Panda/Doc"), ErrInvalid, at + `name: invalid name "Panda/Doc"`},
		{"no name", replace("        name: pandadoc\n", ""), ErrInvalid, at + "name: required for kind hmac"},
		{"unknown field in signature", replace("algorithm: sha256}", "algorithm: sha256, header: X}"), ErrUnknownField, at + "signature.header: unknown field"},
		{"tolerance without from", replace(`signed: "{body}"`, `timestamp: {tolerance: 5m}`), ErrInvalid, at + "timestamp.from: required when timestamp is set"},
		{"duplicate name", hmacConfig(pandadocLines) + "      - kind: hmac\n" + pandadocLines, ErrInvalid, "c.yaml: tenants[0].providers[3].name: duplicate provider name \"pandadoc\" (also tenants[0].providers[2])"},
		{"hmac field on another kind", strings.Replace(hmacConfig(pandadocLines), "api_key: k\n", "api_key: k\n        name: dbx\n", 1), ErrInvalid, "c.yaml: tenants[0].providers[1].name: name does not apply to kind dropboxsign"},
		{"api on hmac", hmacConfig(pandadocLines) + "        api: {base_url: \"http://x\", token: t}\n", ErrInvalid, at + "api: api does not apply to kind hmac"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml))
			if !errors.Is(err, tt.is) {
				t.Fatalf("Parse = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %q\nwant it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "c2VjcmV0") {
				t.Errorf("error reveals a secret: %q", err)
			}
		})
	}
}
