package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/tests/sandbox"
)

// AdminToken is the admin bearer token of the suite's config.
const AdminToken = "chaos-admin-token"

// Tenant is the suite's one tenant.
const Tenant = "acme"

// Config is the countersign config the services run with: the providers'
// published test secrets (the sandbox signs with the same), R3 streams on
// the 3-node cluster, and a rate limit no test traffic reaches; PandaDoc
// is a generic HMAC provider.
var Config = `
admin:
  tokens: ["` + AdminToken + `"]
ingress:
  persist_timeout: 2s
streams:
  replicas: 3
tenants:
  - id: ` + Tenant + `
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: standardwebhooks
        secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
        tolerance: 5m
      - kind: docusign
        hmac_keys: ["docusign-test-key"]
      - kind: dropboxsign
        api_key: "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
      - kind: adobesign
        client_ids: ["adobe-client-1"]
      - kind: esignanywhere
        callback_token: "esaw-token-1"
` + sandbox.PandaDocConfig("pandadoc-test-key")

// Replicas says how many processes of each service run.
type Replicas struct {
	Ingress, Verifier, Statesync, Admin int
}

// Services are countersign's standalone services as OS processes over the
// cluster: replicas of one service share its durable consumer.
type Services struct {
	// Procs are every service process; the victims of the chaos.
	Procs []*Proc
	// IngressAddrs are the ingress replicas' listeners (host:port).
	IngressAddrs []string
	// AdminURL is http://host:port of the (first) admin replica.
	AdminURL string
	// ConfigPath is the config file the services read.
	ConfigPath string
}

// StartServices writes the config to dir and starts the services (logs
// under logDir) against natsURL and redisURL, and registers their teardown.
// The admin replica starts first and alone, so that one process creates the
// R3 streams and the others find them; it returns once every HTTP listener
// answers /readyz.
func StartServices(t meshtest.TB, bins Binaries, n Replicas, natsURL, redisURL, dir, logDir string) *Services {
	t.Helper()
	s := &Services{ConfigPath: filepath.Join(dir, "countersign.yaml")}
	if err := os.WriteFile(s.ConfigPath, []byte(Config), 0o600); err != nil {
		t.Fatalf("chaos: write config: %v", err)
	}
	common := []string{"--config", s.ConfigPath, "--data", dir, "--nats-url", natsURL, "--log-level", "warn"}
	add := func(kind, bin string, i int, extra ...string) *Proc {
		name := fmt.Sprintf("%s-%d", kind, i+1)
		args := append(append([]string(nil), common...), extra...)
		p := NewProc(name, kind, bin, filepath.Join(logDir, name+".log"), args...)
		s.Procs = append(s.Procs, p)
		return p
	}
	t.Cleanup(func() {
		for _, p := range s.Procs {
			p.Stop()
		}
	})
	type waiter struct {
		url string
		p   *Proc
	}
	var ready []waiter
	for i := range n.Admin {
		addr := meshtest.FreeAddr(t)
		p := add("admin", bins.Admin, i, "--admin-addr", addr)
		if i == 0 {
			s.AdminURL = "http://" + addr
			if err := p.Start(); err != nil {
				t.Fatalf("%v", err)
			}
			if err := WaitReadyProc(s.AdminURL, p, time.Minute); err != nil {
				t.Fatalf("chaos: first admin replica (streams set-up): %v (log %s)", err, p.LogPath())
			}
			continue
		}
		ready = append(ready, waiter{"http://" + addr, p})
	}
	for i := range n.Statesync {
		add("statesync", bins.Statesync, i, "--redis-url", redisURL)
	}
	for i := range n.Verifier {
		add("verifier", bins.Verifier, i)
	}
	for i := range n.Ingress {
		addr := meshtest.FreeAddr(t)
		s.IngressAddrs = append(s.IngressAddrs, addr)
		p := add("ingress", bins.Ingress, i, "--ingress-addr", addr)
		ready = append(ready, waiter{"http://" + addr, p})
	}
	for _, p := range s.Procs {
		if !p.Running() {
			if err := p.Start(); err != nil {
				t.Fatalf("%v", err)
			}
		}
	}
	for _, w := range ready {
		if err := WaitReadyProc(w.url, w.p, time.Minute); err != nil {
			t.Fatalf("chaos: %s: %v", w.url, err)
		}
	}
	return s
}

// WaitReady polls base/readyz until it answers 200 or timeout passes.
func WaitReady(base string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	return waitFor(ctx, 100*time.Millisecond, func() error {
		resp, err := c.Get(base + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
}
