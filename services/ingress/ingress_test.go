package ingress

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/providers/docusign"
	"github.com/countersign/countersign/shared/providers/standardwebhooks"
)

const (
	swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	dsKey    = "docusign-test-key"
	// bodyMarker stands for the confidential content of a callback.
	bodyMarker = "CONFIDENTIAL-BODY-7f3a"
)

var testConfig = `
admin:
  tokens: ["admin-token-9c1e"]
ingress:
  max_body_bytes: 4096
  persist_timeout: 1s
tenants:
  - id: acme
    rate_limit: {rate: 1000000, burst: 1000000}
    providers:
      - kind: standardwebhooks
        secrets: ["` + swSecret + `"]
      - kind: docusign
        hmac_keys: ["` + dsKey + `"]
      - kind: esignanywhere
        callback_token: "esaw-token-secret-5b2d"
`

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newIngress(t testing.TB, logs *syncBuffer) (*Service, *meshtest.NATS) {
	t.Helper()
	n := meshtest.StartNATS(t)
	if err := bus.Setup(context.Background(), n.JS, bus.Topology{}); err != nil {
		t.Fatal(err)
	}
	f, err := config.Parse("ingress_test.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	var w = &syncBuffer{}
	if logs != nil {
		w = logs
	}
	s, err := New(context.Background(), Config{
		File: f, JS: n.JS,
		Logger: slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, n
}

func swRequest(t testing.TB, secret, id string, ts time.Time, body string) *http.Request {
	t.Helper()
	sig, err := standardwebhooks.Sign(secret, id, ts, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/v1/webhooks/acme/standardwebhooks", strings.NewReader(body))
	r.Header.Set("webhook-id", id)
	r.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set("webhook-signature", sig)
	return r
}

// TestNoSecretsOrBodiesInLogs sends accepted, forged, oversized and
// malformed callbacks at debug level and checks that no secret and no
// body content reaches the logs.
func TestNoSecretsOrBodiesInLogs(t *testing.T) {
	logs := &syncBuffer{}
	s, n := newIngress(t, logs)
	h := s.Handler()
	body := `{"type":"document.sent","timestamp":"2026-01-01T00:00:00Z","data":{"document_id":"e1","note":"` + bodyMarker + `"}}`
	now := time.Now()
	reqs := []*http.Request{
		swRequest(t, swSecret, "msg_1", now, body),                                 // accepted
		swRequest(t, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "msg_2", now, body), // forged
		swRequest(t, swSecret, "msg_3", now.Add(-time.Hour), body),                 // stale
		swRequest(t, swSecret, "msg_4", now, body+strings.Repeat(" ", 5000)),       // too big
	}
	ds := httptest.NewRequest(http.MethodPost, "/v1/webhooks/acme/docusign", strings.NewReader(body))
	ds.Header.Set("X-DocuSign-Signature-1", docusign.Sign("wrong-key", []byte(body)))
	ds.Header.Set("Authorization", "Bearer some-upstream-credential-11aa")
	reqs = append(reqs, ds,
		httptest.NewRequest(http.MethodGet, "/v1/webhooks/acme/esignanywhere?envelope=x&action=y&token=esaw-token-secret-5b2d", nil),
		httptest.NewRequest(http.MethodGet, "/v1/webhooks/acme/esignanywhere?envelope=x&action=y&token=wrong-esaw-token-77", nil))
	for _, r := range reqs {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	n.Stop() // and a persist failure, which logs a warning
	h.ServeHTTP(httptest.NewRecorder(), swRequest(t, swSecret, "msg_5", now, body))

	out := logs.String()
	if out == "" {
		t.Fatal("nothing was logged: the test would prove nothing")
	}
	for _, secret := range []string{
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", dsKey, "esaw-token-secret-5b2d", "wrong-esaw-token-77",
		"some-upstream-credential-11aa", bodyMarker, "admin-token-9c1e",
	} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
}

// TestStoredQueryHasNoToken: eSignAnyWhere's callback token never reaches
// the RAW stream.
func TestStoredQueryHasNoToken(t *testing.T) {
	s, n := newIngress(t, nil)
	r := httptest.NewRequest(http.MethodGet,
		"/v1/webhooks/acme/esignanywhere?envelope=6f0c1a64-3c1b-4c1e-9b0e-2d1c3b4a5f60&action=envelopeExpired&token=esaw-token-secret-5b2d", nil)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	st, err := n.JS.Stream(t.Context(), bus.StreamRaw)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.GetLastMsgForSubject(t.Context(), "raw.*.acme.esignanywhere.*")
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range msg.Header {
		for _, v := range vs {
			if strings.Contains(v, "esaw-token-secret-5b2d") {
				t.Fatalf("header %s stores the token: %q", k, v)
			}
		}
	}
}

// FuzzIngress throws arbitrary paths, headers and bodies at the HTTP
// layer: it must never panic, and every answer must be one CONTRACT.md
// allows (plus 405 for a wrong method).
func FuzzIngress(f *testing.F) {
	s, _ := newIngress(f, nil)
	h := s.Handler()
	now := time.Now()
	good := `{"type":"document.sent","timestamp":"2026-01-01T00:00:00Z","data":{"document_id":"e1"}}`
	sig, _ := standardwebhooks.Sign(swSecret, "msg_1", now, []byte(good))
	f.Add("POST", "/v1/webhooks/acme/standardwebhooks", "msg_1", strconv.FormatInt(now.Unix(), 10), sig, good)
	f.Add("POST", "/v1/webhooks/acme/standardwebhooks", "", "", "v1,", "")
	f.Add("GET", "/v1/webhooks/acme/esignanywhere?token=esaw-token-secret-5b2d&envelope=%zz", "", "", "", "")
	f.Add("POST", "/v1/webhooks/../../acme/docusign", "x", "1", "v1,AAAA v2,BBBB", "\x00\xff")
	f.Add("PUT", "/v1/webhooks/acme/standardwebhooks", "", "", "", "{}")
	allowed := map[int]bool{200: true, 400: true, 401: true, 404: true, 405: true, 413: true, 429: true, 503: true}
	f.Fuzz(func(t *testing.T, method, target, id, ts, sig, body string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := http.NewRequest(method, "http://countersign"+target, strings.NewReader(body))
		if err != nil {
			return // not a request net/http would ever hand us
		}
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", ts)
		req.Header.Set("webhook-signature", sig)
		req.Header.Set("X-DocuSign-Signature-1", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !allowed[w.Code] {
			t.Fatalf("%s %q answered %d", method, target, w.Code)
		}
	})
}
