package hmac_test

import (
	"testing"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers/hmac"
)

func TestSpecOf(t *testing.T) {
	f, err := config.Parse("c.yaml", []byte(`admin:
  tokens: ["t"]
tenants:
  - id: acme
    providers:
      - kind: hmac
        name: pandadoc
        secrets: ["base64:c2VjcmV0"]
        signature: {from: "query:signature", encoding: hex, algorithm: sha256}
        events: {path: "/", type: "/event", envelope_id: "/data/id", occurred_at: "/data/date_updated", status: "/data/status"}
        types: {"document_state_changed:document.completed": completed}
      - kind: hmac
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
	p, _ := tn.Provider("pandadoc")
	s := hmac.SpecOf(p)
	if s.Secrets[0] != "base64:c2VjcmV0" || s.Events.Status != "/data/status" || s.Types["document_state_changed:document.completed"] != "completed" {
		t.Errorf("SpecOf = %+v", s)
	}
	if e, _ := tn.Provider("esignly"); e.Timestamp == nil || e.Timestamp.Tolerance != 0 || hmac.SpecOf(e).Timestamp.From != "header:X-Ts" {
		t.Errorf("esignly timestamp = %+v (the adapter defaults the tolerance)", e.Timestamp)
	}
}
