package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
)

// onboardingConfig onboards a sender countersign has no adapter for,
// "newsign", by configuration alone: base64 HMAC-SHA512 of
// "<X-Newsign-Time>:<body>" in a header, a rotated secret, events in an
// array below the body's root with unix-second times, keyed by type and
// status. esignly (README's preset) lives beside it under the same tenant.
const onboardingConfig = `
admin:
  tokens: ["` + mesh.AdminToken + `"]
tenants:
  - id: acme
    providers:
      - kind: hmac
        name: newsign
        secrets: ["base64:bmV3c2lnbi1rZXktMjAyNg==", "newsign-key-2025"]
        signature: {from: "header:X-Newsign-Signature", encoding: base64, algorithm: sha512}
        signed: "{header:X-Newsign-Time}:{body}"
        timestamp: {from: "header:X-Newsign-Time", tolerance: 2m}
        events:
          path: "/events"
          type: "/kind"
          status: "/status"
          envelope_id: "/doc/id"
          occurred_at: "/ts"
          recipient_email: "/signer/email"
          delivery_id: "/id"
        types:
          "envelope:sent": sent
          "signer:signed": recipient_signed
          "envelope:completed": completed
          "envelope:canceled": voided
      - kind: hmac
        name: esignly
        secrets: ["esignly-secret-2026"]
        signature: {from: "header:X-Esignly-Signature", encoding: hex, prefix: "sha256=", algorithm: sha256}
        events: {type: "/event", envelope_id: "/document/id", occurred_at: "/document/updated_at", delivery_id: "/event_id"}
        types: {document.sent: sent, document.completed: completed}
`

// newsignKey is the first secret's bytes, "newsign-key-2026".
var newsignKey = []byte("newsign-key-2026")

// newsignRequest signs body the way the sender does, with Go's crypto/hmac
// (not countersign's adapter).
func newsignRequest(t *testing.T, base string, key []byte, ts time.Time, body []byte) *http.Request {
	t.Helper()
	tsText := strconv.FormatInt(ts.Unix(), 10)
	m := hmac.New(sha512.New, key)
	m.Write([]byte(tsText + ":"))
	m.Write(body)
	req, err := http.NewRequest(http.MethodPost, base+"/v1/webhooks/acme/newsign", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Newsign-Time", tsText)
	req.Header.Set("X-Newsign-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return req
}

func newsignBody(events ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"account": "acct-1", "events": events})
	return b
}

func newsignEvent(id, kind, status, envelopeID string, at time.Time, email string) map[string]any {
	ev := map[string]any{"id": id, "kind": kind, "status": status, "doc": map[string]any{"id": envelopeID}, "ts": at.Unix()}
	if email != "" {
		ev["signer"] = map[string]any{"email": email}
	}
	return ev
}

// TestGenericProviderOnboardedByConfig: a new provider, configured and
// not coded, has its signed deliveries accepted and applied exactly once
// (batches, redeliveries and a rotated secret included), its forgeries
// answered 401 and without effect, and a ledger that verifies under its
// configured name.
func TestGenericProviderOnboardedByConfig(t *testing.T) {
	m := startMesh(t, onboardingConfig)
	c := &http.Client{Timeout: 10 * time.Second}
	now := time.Now()
	at := now.Add(-time.Hour).Truncate(time.Second)
	send := func(req *http.Request) int {
		t.Helper()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	batch := newsignBody(
		newsignEvent("d1", "envelope", "sent", "NS-1", at, ""),
		newsignEvent("d2", "signer", "signed", "NS-1", at.Add(time.Minute), "ada@acme.example"),
		newsignEvent("d3", "envelope", "viewed", "NS-1", at.Add(2*time.Minute), ""), // unmapped: ignored
	)
	completed := newsignBody(newsignEvent("d4", "envelope", "completed", "NS-1", at.Add(3*time.Minute), ""))
	forgedVoid := newsignBody(newsignEvent("d5", "envelope", "canceled", "NS-1", at.Add(4*time.Minute), ""))

	accepted := []struct {
		name string
		req  *http.Request
	}{
		{"a batch of three events", newsignRequest(t, m.IngressURL, newsignKey, now, batch)},
		{"the same batch redelivered", newsignRequest(t, m.IngressURL, newsignKey, now.Add(time.Second), batch)},
		{"signed with the rotated-out secret", newsignRequest(t, m.IngressURL, []byte("newsign-key-2025"), now, completed)},
		{"the completion again, as part of a batch", newsignRequest(t, m.IngressURL, newsignKey, now, newsignBody(
			newsignEvent("d4", "envelope", "completed", "NS-1", at.Add(3*time.Minute), ""),
			newsignEvent("d2", "signer", "signed", "NS-1", at.Add(time.Minute), "ada@acme.example")))},
	}
	for _, a := range accepted {
		if code := send(a.req); code != http.StatusOK {
			t.Errorf("%s: status %d, want 200", a.name, code)
		}
	}

	tampered := withBody(newsignRequest(t, m.IngressURL, newsignKey, now, completed), forgedVoid)
	noTime := newsignRequest(t, m.IngressURL, newsignKey, now, forgedVoid)
	noTime.Header.Del("X-Newsign-Time")
	wrongPrefix := newsignRequest(t, m.IngressURL, newsignKey, now, forgedVoid)
	wrongPrefix.Header.Set("X-Newsign-Signature", "sha512="+wrongPrefix.Header.Get("X-Newsign-Signature"))
	forgeries := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"a secret nobody configured", newsignRequest(t, m.IngressURL, []byte("guessed"), now, forgedVoid), http.StatusUnauthorized},
		{"a body that is not the signed one", tampered, http.StatusUnauthorized},
		{"a timestamp outside the tolerance", newsignRequest(t, m.IngressURL, newsignKey, now.Add(-3*time.Minute), forgedVoid), http.StatusUnauthorized},
		{"no timestamp", noTime, http.StatusUnauthorized},
		{"a signature in another shape", wrongPrefix, http.StatusUnauthorized},
	}
	for _, f := range forgeries {
		if code := send(f.req); code != f.want {
			t.Errorf("%s: status %d, want %d", f.name, code, f.want)
		}
	}
	unknown, _ := http.NewRequest(http.MethodPost, m.IngressURL+"/v1/webhooks/acme/signnow", bytes.NewReader(forgedVoid))
	if code := send(unknown); code != http.StatusNotFound {
		t.Errorf("an unconfigured name: status %d, want 404", code)
	}

	// esignly, another generic provider under the same tenant.
	es := []byte(`{"event":"document.sent","event_id":"evt_1","document":{"id":"ES-1","updated_at":"` + at.UTC().Format(time.RFC3339) + `"}}`)
	esReq, _ := http.NewRequest(http.MethodPost, m.IngressURL+"/v1/webhooks/acme/esignly", bytes.NewReader(es))
	esReq.Header.Set("X-Esignly-Signature", "sha256="+hexHMACSHA256([]byte("esignly-secret-2026"), es))
	if code := send(esReq); code != http.StatusOK {
		t.Errorf("esignly: status %d, want 200", code)
	}

	var v envelopeView
	meshtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		if code := adminGet(t, m, envelopePath("acme", "NS-1"), &v); code != http.StatusOK {
			return fmt.Errorf("NS-1: status %d", code)
		}
		if v.State != "completed" || v.LedgerSeq != 3 {
			return fmt.Errorf("NS-1: state %s after %d entries, want completed after 3", v.State, v.LedgerSeq)
		}
		return nil
	})
	if v.Provider != "newsign" || len(v.Recipients) != 1 || v.Recipients[0].Email != "ada@acme.example" || v.Recipients[0].State != "signed" {
		t.Errorf("NS-1 = %+v, want provider newsign and ada signed", v)
	}
	var l ledgerView
	if code := adminGet(t, m, envelopePath("acme", "NS-1")+"/ledger", &l); code != http.StatusOK || !l.Verified {
		t.Fatalf("NS-1 ledger: status %d, verified %v", code, l.Verified)
	}
	// Three distinct events, each recorded once. Workers apply events
	// concurrently, so a sent applied after the completion is recorded as
	// stale: the order may differ, the events may not.
	ids := map[string]bool{}
	types := map[string]bool{}
	for _, e := range decodeEntries(t, l.Entries) {
		ids[e.ID] = true
		types[e.Type] = true
	}
	if len(ids) != 3 || len(l.Entries) != 3 || !types["completed"] || !types["recipient_signed"] {
		t.Errorf("NS-1 ledger: %d entries, %d distinct events, types %v; want sent, recipient_signed and completed once each", len(l.Entries), len(ids), types)
	}
	meshtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		var e envelopeView
		if code := adminGet(t, m, envelopePath("acme", "ES-1"), &e); code != http.StatusOK || e.State != "sent" || e.Provider != "esignly" {
			return fmt.Errorf("ES-1: status %d, %+v", code, e)
		}
		return nil
	})
}

func withBody(req *http.Request, body []byte) *http.Request {
	r, _ := http.NewRequest(req.Method, req.URL.String(), bytes.NewReader(body))
	r.Header = req.Header.Clone()
	return r
}

func hexHMACSHA256(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
