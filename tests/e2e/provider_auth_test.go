package e2e

// A provider API that refuses countersign's token (401) dead-letters the
// callback at once as provider_auth, naming provider and tenant; a new
// token in the file: the config points at, a reload and a replay finish
// the job — no restart.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
)

func TestProviderAuthFailureThenTokenReload(t *testing.T) {
	var calls atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("apiToken") != "new-api-token" {
			http.Error(w, `{"ErrorId":"ERR0012","Message":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/v6/envelope/")
		fmt.Fprintf(w, `{"Id":%q,"EnvelopeStatus":"Completed"}`, id)
	}))
	t.Cleanup(api.Close)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "esaw-api-token")
	if err := os.WriteFile(tokenFile, []byte("revoked-api-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := startMesh(t, fmt.Sprintf(`
admin:
  tokens: [%q]
tenants:
  - id: acme
    providers:
      - kind: esignanywhere
        callback_token: esaw-token-1
        api: {base_url: %q, token: "file:%s"}
`, mesh.AdminToken, api.URL, tokenFile))

	q := url.Values{"envelope": {"4f2e1c9a-0b7d-4c3e-9a51-2d6f8e0b1a77"}, "action": {"envelopeFinished"}, "token": {"esaw-token-1"}}
	resp, err := http.Get(m.IngressURL + "/v1/webhooks/acme/esignanywhere?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: %s", resp.Status)
	}
	entries := dlqEntries(t, m, "/v1/dlq?tenant=acme&class=provider_auth", 1)
	e := entries[0]
	if e.Attempts != 1 || !strings.Contains(e.Error, "provider esignanywhere") || !strings.Contains(e.Error, "tenant acme") || !strings.Contains(e.Error, "HTTP 401") {
		t.Fatalf("DLQ entry %+v: want one attempt, naming provider, tenant and the 401", e)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the API was asked %d times: a refused token must not be retried", n)
	}

	if err := os.WriteFile(tokenFile, []byte("new-api-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.Env().Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	var rep replayAnswer
	if code := adminPost(t, m, mesh.AdminToken, "/v1/replay", `{"ids":["`+e.ID+`"]}`, &rep); code != http.StatusOK || rep.Replayed != 1 {
		t.Fatalf("replay: %d %+v", code, rep)
	}
	meshtest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		var env envelopeView
		if code := adminGet(t, m, envelopePath("acme", "4f2e1c9a-0b7d-4c3e-9a51-2d6f8e0b1a77"), &env); code != http.StatusOK || env.State != "completed" {
			return fmt.Errorf("envelope: %d %q", code, env.State)
		}
		return nil
	})
}
