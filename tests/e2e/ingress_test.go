package e2e

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
)

// ingressConfig has a small body limit and a slow tenant, so 413 and 429
// are reachable.
const ingressConfig = `
admin:
  tokens: ["` + mesh.AdminToken + `"]
ingress:
  max_body_bytes: 65536
  persist_timeout: 1s
tenants:
  - id: acme
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: standardwebhooks
        secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
  - id: slow
    rate_limit: {rate: 0.01, burst: 1}
    providers:
      - kind: standardwebhooks
        secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
`

// TestIngressAnswers covers every answer of CONTRACT.md's ingress table
// over real HTTP.
func TestIngressAnswers(t *testing.T) {
	m := startMesh(t, ingressConfig)
	c := &http.Client{Timeout: 10 * time.Second}
	now := time.Now()
	good := swDelivery{ID: "msg_ok", TS: now, Body: swEvent("document.sent", "env-answers", "", now)}

	t.Run("2xx after persist", func(t *testing.T) {
		if resp := post(t, c, m.IngressURL, "acme", specSecret, good); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		info, err := m.NATS.StreamInfo(t.Context(), "RAW")
		if err != nil || info.State.Msgs != 1 {
			t.Fatalf("RAW holds %v messages (err %v), want 1 right after the 2xx", info, err)
		}
	})
	t.Run("401 wrong secret", func(t *testing.T) {
		d := good
		d.ID = "msg_forged"
		if resp := post(t, c, m.IngressURL, "acme", "whsec_"+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", d); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("401 timestamp outside tolerance", func(t *testing.T) {
		d := good
		d.ID, d.TS = "msg_old", now.Add(-10*time.Minute)
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("401 missing signature", func(t *testing.T) {
		resp, err := c.Post(m.IngressURL+"/v1/webhooks/acme/standardwebhooks", "application/json", bytes.NewReader(good.Body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("404 unknown tenant", func(t *testing.T) {
		if resp := post(t, c, m.IngressURL, "nobody", specSecret, good); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("404 unknown provider", func(t *testing.T) {
		resp, err := c.Post(m.IngressURL+"/v1/webhooks/acme/docusign", "application/json", bytes.NewReader(good.Body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("413 body over the limit", func(t *testing.T) {
		d := good
		d.ID, d.Body = "msg_big", bytes.Repeat([]byte("x"), 65537)
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		first := post(t, c, m.IngressURL, "slow", specSecret, good)
		if first.StatusCode != http.StatusOK {
			t.Fatalf("first status %d, want 200", first.StatusCode)
		}
		resp := post(t, c, m.IngressURL, "slow", specSecret, good)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", resp.StatusCode)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("Retry-After %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
		}
	})
	t.Run("unknown event type accepted", func(t *testing.T) {
		d := swDelivery{ID: "msg_unknown_type", TS: now, Body: []byte(`{"type":"template.created","timestamp":"2026-01-01T00:00:00Z","data":{}}`)}
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	})
	t.Run("503 when NATS is down, then recovery", func(t *testing.T) {
		m.NATS.Stop()
		d := good
		d.ID = "msg_during_outage"
		resp := post(t, c, m.IngressURL, "acme", specSecret, d)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d while NATS is down, want 503", resp.StatusCode)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Fatalf("503 without Retry-After")
		}
		m.NATS.Restart(t)
		meshtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
			if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
				return errStatus(resp.StatusCode)
			}
			return nil
		})
	})
}

type errStatus int

func (e errStatus) Error() string {
	return "status " + strconv.Itoa(int(e)) + " " + strings.ToLower(http.StatusText(int(e)))
}
