package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/service"
	"github.com/countersign/countersign/shared/subjects"
)

// splitConfig is a single-node config whose consumers give up after three
// deliveries, so a message that kills its worker every time reaches
// MaxDeliver quickly.
const splitConfig = `
admin:
  tokens: ["` + AdminToken + `"]
streams:
  max_deliver: 3
tenants:
  - id: ` + Tenant + `
    providers:
      - kind: docusign
        hmac_keys: ["docusign-test-key"]
`

// TestSplitDeployment runs every service as its own OS process on one
// NATS server and checks how they fit together without sharing memory:
// every one answers $SRV.PING, the admin API reaches the reconciler over
// NATS, and a message whose worker crashes at every delivery is
// dead-lettered, once, by the MAX_DELIVERIES watcher of another worker
// process — also across that process's restart and its start-up sweep.
func TestSplitDeployment(t *testing.T) {
	dir := t.TempDir()
	bins, err := Build(filepath.Join(dir, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	n := meshtest.StartNATS(t)
	redis := meshtest.StartRedis(t)
	cfgPath := filepath.Join(dir, "countersign.yaml")
	if err := os.WriteFile(cfgPath, []byte(splitConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	procs := map[string]*Proc{}
	start := func(name, bin string, args ...string) *Proc {
		t.Helper()
		p := NewProc(name, name, bin, filepath.Join(logs, name+".log"), args...)
		t.Cleanup(p.Stop)
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		procs[name] = p
		return p
	}
	common := []string{"--config", cfgPath, "--data", dir, "--nats-url", n.URL, "--log-level", "warn"}
	adminAddr, verifierMetrics := meshtest.FreeAddr(t), meshtest.FreeAddr(t)
	// admin first: it creates the streams and consumers the others use.
	start("admin", bins.Admin, append(common, "--admin-addr", adminAddr)...)
	if err := WaitReady("http://"+adminAddr, time.Minute); err != nil {
		t.Fatalf("admin: %v (log %s)", err, procs["admin"].LogPath())
	}
	start("ingress", bins.Ingress, append(common, "--ingress-addr", meshtest.FreeAddr(t))...)
	start("verifier", bins.Verifier, append(common, "--metrics-addr", verifierMetrics)...)
	start("statesync", bins.Statesync, append(common, "--redis-url", redis.URL)...)
	start("reconciler", bins.Reconciler, common...)

	t.Run("every service answers $SRV.PING", func(t *testing.T) {
		meshtest.CheckFor(t, time.Minute, 200*time.Millisecond, func() error {
			got, err := service.Ping(context.Background(), n.Conn, 500*time.Millisecond)
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, in := range got {
				seen[in.Name] = true
			}
			for _, name := range []string{service.Ingress, service.Verifier, service.Statesync, service.Reconciler, service.Admin} {
				if !seen[service.MicroName(name)] {
					return fmt.Errorf("%s did not answer (answers %+v)", name, got)
				}
			}
			return nil
		})
	})

	t.Run("admin reaches the reconciler over NATS", func(t *testing.T) {
		// docusign has no api: here — the reconciler's own 404 must come back.
		if code := postReconcile(t, adminAddr); code != http.StatusNotFound {
			t.Fatalf("POST /v1/reconcile: %d, want 404 from the reconciler", code)
		}
		procs["reconciler"].Stop()
		if code := postReconcile(t, adminAddr); code != http.StatusServiceUnavailable {
			t.Fatalf("POST /v1/reconcile with no reconciler running: %d, want 503", code)
		}
	})

	t.Run("a crash-every-delivery message is dead-lettered once", func(t *testing.T) {
		// The crash worker takes statesync's place on STATE; the
		// verifier process's watcher is the only one left.
		procs["statesync"].Stop()
		msg := &nats.Msg{Subject: bus.StateSubject(Tenant, "env-crash"), Data: []byte(`{"poison":true}`),
			Header: nats.Header{bus.HeaderTenant: {Tenant}, bus.HeaderEnvelope: {"env-crash"}, bus.HeaderMsgID: {"crash-1"}}}
		ack, err := n.JS.PublishMsg(t.Context(), msg)
		if err != nil {
			t.Fatal(err)
		}
		want := bus.DeadLetterID(bus.ConsumerStatesync, bus.StreamState, ack.Sequence)
		// STATE is partitioned by envelope: the message waits on one
		// partition's durable, and that is the one the crash worker takes.
		stored, err := n.JS.Stream(t.Context(), bus.StreamState)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := stored.GetMsg(t.Context(), ack.Sequence)
		if err != nil {
			t.Fatal(err)
		}
		part, err := strconv.Atoi(strings.Split(raw.Subject, ".")[1])
		if err != nil {
			t.Fatalf("stored subject %q has no partition: %v", raw.Subject, err)
		}
		crash := start("crashworker", bins.CrashWorker, "-nats-url", n.URL, "-stream", bus.StreamState,
			"-consumer", subjects.PartitionConsumer(bus.ConsumerStatesync, part))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { // systemd's Restart=always
			for ctx.Err() == nil {
				_, _ = crash.Revive()
				time.Sleep(20 * time.Millisecond)
			}
		}()
		meshtest.CheckFor(t, time.Minute, 200*time.Millisecond, func() error {
			return oneEntry(n, adminAddr, want)
		})
		cancel()
		crash.Stop()
		// The verifier's restart sweeps again: still one entry.
		if err := procs["verifier"].Bounce(); err != nil {
			t.Fatal(err)
		}
		if err := WaitReady("http://"+verifierMetrics, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := oneEntry(n, adminAddr, want); err != nil {
			t.Fatal(err)
		}
		_, starts, _ := crash.Counts()
		t.Logf("crash worker started %d times", starts)
	})
}

func postReconcile(t *testing.T, adminAddr string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+adminAddr+"/v1/reconcile", strings.NewReader(`{"tenant":"acme","provider":"docusign"}`))
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// oneEntry checks that the DLQ stream holds exactly one message and that
// the admin API lists it as the max_deliveries entry want.
func oneEntry(n *meshtest.NATS, adminAddr, want string) error {
	info, err := n.StreamInfo(context.Background(), bus.StreamDLQ)
	if err != nil {
		return err
	}
	if info.State.Msgs != 1 {
		return fmt.Errorf("DLQ stream holds %d messages, want 1", info.State.Msgs)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+adminAddr+"/v1/dlq?limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Entries []bus.DeadLetter `json:"entries"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return err
	}
	if len(body.Entries) != 1 {
		return fmt.Errorf("%d DLQ entries, want 1", len(body.Entries))
	}
	if e := body.Entries[0]; e.ID != want || e.ErrorClass != "max_deliveries" || e.Service != bus.ConsumerStatesync {
		return fmt.Errorf("entry %s class %s service %s, want %s max_deliveries statesync", e.ID, e.ErrorClass, e.Service, want)
	}
	return nil
}
