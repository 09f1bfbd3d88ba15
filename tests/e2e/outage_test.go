package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/tests/sandbox"
)

// compressedRetry scales the retry policy down so an outage many times
// longer than the whole budget fits in a test: the default schedule spans
// about 2 hours; this one is spent in half a second.
const compressedRetry = `
retry:
  schedule: [50ms, 100ms]
  budget: 500ms
  dependency_probe: 200ms
  redrive_interval: 1s
`

// metricValue sums the samples of name whose line contains every label.
func metricValue(t *testing.T, url, name string, labels ...string) float64 {
	t.Helper()
	var sum float64
	for _, l := range strings.Split(scrape(t, url), "\n") {
		if !strings.HasPrefix(l, name) || strings.HasPrefix(l, "#") {
			continue
		}
		ok := true
		for _, lb := range labels {
			ok = ok && strings.Contains(l, lb)
		}
		var v float64
		if _, err := fmt.Sscan(l[strings.LastIndex(l, " ")+1:], &v); ok && err == nil {
			sum += v
		}
	}
	return sum
}

// A Redis outage many times longer than the old retry budget (ten
// deliveries in 25–50 s, which dead-lettered everything in flight) loses
// nothing and needs no human: statesync pauses its consumer while the
// lock store is down, and resumes by itself when it is back.
func TestRedisOutageEndsByItself(t *testing.T) {
	m := startMesh(t, mesh.DefaultConfig+compressedRetry)
	c := &http.Client{Timeout: 10 * time.Second}
	m.Redis.Stop()
	now := time.Now()
	const n = 20
	for i := range n {
		id := fmt.Sprintf("env-redis-%d", i)
		d := swDelivery{ID: "msg_" + id, TS: now, Body: swEvent("document.sent", id, "", now)}
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: %d (ingress does not need Redis)", i, resp.StatusCode)
		}
	}
	meshtest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		if v := metricValue(t, m.AdminURL+"/metrics", "countersign_worker_paused", `service="statesync"`); v != 1 {
			return fmt.Errorf("statesync not paused (%v)", v)
		}
		return nil
	})
	// The outage itself: 6 budgets long. While it lasts nothing may be
	// dead-lettered.
	outageEnd := time.Now().Add(3 * time.Second)
	for time.Now().Before(outageEnd) {
		if n := metricValue(t, m.AdminURL+"/metrics", "countersign_dlq_total"); n != 0 {
			t.Fatalf("%v dead letters during the outage", n)
		}
		time.Sleep(100 * time.Millisecond) // the outage's clock, not synchronisation
	}
	m.Redis.Restart(t)
	for i := range n {
		id := fmt.Sprintf("env-redis-%d", i)
		meshtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
			var v envelopeView
			if code := adminGet(t, m, envelopePath("acme", id), &v); code != http.StatusOK || v.State != "sent" {
				return fmt.Errorf("envelope %s: %d %q", id, code, v.State)
			}
			return nil
		})
	}
	if n := metricValue(t, m.AdminURL+"/metrics", "countersign_dlq_total"); n != 0 {
		t.Fatalf("%v dead letters", n)
	}
	if v := metricValue(t, m.AdminURL+"/metrics", "countersign_worker_pauses_total", `service="statesync"`); v < 1 {
		t.Fatalf("no pause counted")
	}
}

// A provider API outage longer than the whole retry budget: confirmations
// fail, what runs out of budget reaches the DLQ as transient, and is
// re-driven automatically once the API answers again — every envelope
// converges to the provider's truth with no human replay.
func TestProviderAPIOutageEndsByItself(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var api http.Handler = http.NotFoundHandler()
	apiSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(apiSrv.Close)
	m := startMesh(t, reconcileConfig(apiSrv.URL, 500)+compressedRetry)
	sb := newSandbox(t, m.IngressURL, sandbox.APIConfig{}, nil)
	api = sb.APIHandler()

	envs := sandbox.Generate(rand.New(rand.NewSource(11)), 8, []string{sandbox.KindDropboxSign}, "acme")
	rep, err := sb.Fire(context.Background(), envs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Non2xx > rep.Forged {
		t.Fatalf("callbacks refused: %+v", rep)
	}
	// Outage until something has run out of budget and been dead-lettered.
	meshtest.CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		if n := metricValue(t, m.AdminURL+"/metrics", "countersign_dlq_total", `class="transient"`); n == 0 {
			return fmt.Errorf("nothing dead-lettered yet")
		}
		return nil
	})
	down.Store(false)
	for _, x := range sb.Truth() {
		if x.Happened == 0 || !reachable(x) {
			continue
		}
		checkEnvelope(t, m, x)
	}
	if v := metricValue(t, m.AdminURL+"/metrics", "countersign_dlq_redriven_total"); v < 1 {
		t.Fatalf("nothing counted as re-driven")
	}
}

// A store that refuses writes is not ready: after JetStream turns itself
// off (what nats-server does when the disk is full) ingress answers 503
// and /readyz fails; once the server is back (the all-in-one restarts its
// embedded server in place, natsserver.Supervised; here the harness does)
// ingress answers 2xx and is ready again without a restart of its own.
func TestFullStoreIsNotReadyAndRecovers(t *testing.T) {
	m := startMesh(t, "")
	c := &http.Client{Timeout: 10 * time.Second}
	ready := func() int {
		resp, err := c.Get(m.IngressURL + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("readyz %d before the fault", code)
	}
	if err := m.NATS.Server.ShutdownJetStream(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	d := swDelivery{ID: "msg_full_1", TS: now, Body: swEvent("document.sent", "env-full", "", now)}
	if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("delivery with the store off: %d, want 503", resp.StatusCode)
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz %d with the store refusing writes, want 503", code)
	}
	m.NATS.Restart(t)
	meshtest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		d.ID = fmt.Sprintf("msg_full_%d", time.Now().UnixNano())
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
			return fmt.Errorf("delivery after recovery: %d", resp.StatusCode)
		}
		return nil
	})
	meshtest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		if code := ready(); code != http.StatusOK {
			return fmt.Errorf("readyz %d", code)
		}
		return nil
	})
}
