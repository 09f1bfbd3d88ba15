package e2e

// Config reload (SIGHUP in production; Env.Reload here): secrets,
// tenants and admin tokens change while callbacks keep arriving, none is
// refused; a bad file keeps the running config.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/process"
)

const rotatedSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"

// reloadConfig is a config with tenants ids, standardwebhooks secrets
// secrets, and the admin tokens tokens.
func reloadConfig(ids []string, secrets []string, tokens ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "admin:\n  tokens: [%s]\ningress:\n  persist_timeout: 2s\ntenants:\n", strings.Join(tokens, ", "))
	for _, id := range ids {
		fmt.Fprintf(&b, "  - id: %s\n    rate_limit: {rate: 100000, burst: 100000}\n    providers:\n", id)
		fmt.Fprintf(&b, "      - kind: standardwebhooks\n        secrets: [%s]\n", strings.Join(secrets, ", "))
	}
	return b.String()
}

func TestReloadUnderLoad(t *testing.T) {
	m := startMesh(t, reloadConfig([]string{"acme"}, []string{specSecret}, "first-admin"))
	env := m.Env()
	write := func(cfg string) {
		t.Helper()
		if err := os.WriteFile(env.Settings.ConfigPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	send := func(tenant, secret, id string) int {
		resp := post(t, client, m.IngressURL, tenant, secret, swDelivery{ID: id, TS: time.Now(), Body: swEvent("document.sent", id, "", time.Now())})
		return resp.StatusCode
	}
	adminStatus := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, m.AdminURL+"/v1/tenants/acme/envelopes/none", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// Callbacks signed with the old secret keep arriving from 4 senders
	// while the config is reloaded 5 times.
	var (
		sent, refused atomic.Int64
		stop          = make(chan struct{})
		wg            sync.WaitGroup
		firstRefusal  atomic.Value
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if code := send("acme", specSecret, fmt.Sprintf("load-%d-%d", w, i)); code != http.StatusOK {
					refused.Add(1)
					firstRefusal.CompareAndSwap(nil, code)
				}
				sent.Add(1)
			}
		}()
	}
	next := reloadConfig([]string{"acme", "globex"}, []string{rotatedSecret, specSecret}, "first-admin", "second-admin")
	for i := range 5 {
		// Wait for traffic between reloads, so the swaps land mid-stream.
		target := sent.Load() + 20
		meshtest.CheckFor(t, 30*time.Second, time.Millisecond, func() error {
			if sent.Load() < target {
				return errors.New("waiting for traffic")
			}
			return nil
		})
		cfg := next
		if i%2 == 1 {
			cfg = reloadConfig([]string{"acme"}, []string{specSecret}, "first-admin")
		}
		write(cfg)
		if err := env.Reload(context.Background()); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if n := refused.Load(); n != 0 {
		t.Fatalf("%d of %d callbacks refused during reloads (first: %v)", n, sent.Load(), firstRefusal.Load())
	}
	t.Logf("%d callbacks during 5 reloads, none refused", sent.Load())
	if g := env.Generation(); g != 6 {
		t.Fatalf("generation %d after 5 reloads, want 6", g)
	}

	// The last reload (the 5th, i=4) brought the new secret, tenant and token.
	if code := send("acme", rotatedSecret, "rotated-1"); code != http.StatusOK {
		t.Fatalf("new secret: %d", code)
	}
	if code := send("globex", rotatedSecret, "globex-1"); code != http.StatusOK {
		t.Fatalf("new tenant: %d", code)
	}
	if code := adminStatus("second-admin"); code != http.StatusNotFound {
		t.Fatalf("new admin token: %d, want 404 (authenticated, no such envelope)", code)
	}

	// A bad file keeps everything as it was, and says why.
	write(next + "    bogus: 1\n")
	err := env.Reload(context.Background())
	if !errors.Is(err, process.ErrReload) || !strings.Contains(err.Error(), "bogus: unknown field") {
		t.Fatalf("bad file: %v, want ErrReload naming the field", err)
	}
	if g := env.Generation(); g != 6 {
		t.Fatalf("generation %d after a failed reload, want 6", g)
	}
	if code := send("globex", rotatedSecret, "globex-2"); code != http.StatusOK {
		t.Fatalf("after a bad file: %d", code)
	}
	scrape := func() string {
		resp, err := client.Get(m.AdminURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	metrics := scrape()
	for _, want := range []string{"countersign_config_generation 6", "countersign_config_last_reload_success 0",
		`countersign_config_reloads_total{outcome="failure"} 1`, `countersign_config_reloads_total{outcome="success"} 5`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// Dropping the old secret takes effect too: it is now refused.
	write(reloadConfig([]string{"acme"}, []string{rotatedSecret}, "second-admin"))
	if err := env.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := send("acme", specSecret, "old-after-rotation"); code != http.StatusUnauthorized {
		t.Fatalf("old secret after it was removed: %d, want 401", code)
	}
	if code := adminStatus("first-admin"); code != http.StatusUnauthorized {
		t.Fatalf("removed admin token: %d, want 401", code)
	}
	if !strings.Contains(scrape(), "countersign_config_last_reload_success 1") {
		t.Error("last reload success not back to 1")
	}
}
