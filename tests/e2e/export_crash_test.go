package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/services/admin"
	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/services/ingress"
	"github.com/countersign/countersign/services/statesync"
	"github.com/countersign/countersign/services/verifier"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/shared/process"
	"github.com/countersign/countersign/tests/demo"
	"github.com/countersign/countersign/tests/sandbox"
)

// buildDMSExport compiles the standalone dmsexport binary into dir.
func buildDMSExport(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOWORK").Output()
	work := strings.TrimSpace(string(out))
	if err != nil || work == "" || work == "off" {
		t.Fatalf("not inside the countersign workspace: %v", err)
	}
	bin := filepath.Join(dir, "dmsexport")
	cmd := exec.Command("go", "build", "-o", bin, "./services/dmsexport/cmd/dmsexport")
	cmd.Dir = filepath.Dir(work)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build dmsexport: %v\n%s", err, out)
	}
	return bin
}

// TestExportResumesAfterKill9: the standalone dmsexport is killed with
// SIGKILL in the middle of a large export — signed.pdf stored, audit.pdf
// half downloaded. Started again, it resumes: signed.pdf is not
// downloaded a second time, audit.pdf is, and the export lands byte-exact
// with one exported entry in the ledger.
func TestExportResumesAfterKill9(t *testing.T) {
	const docBytes = 32 << 20
	dir := t.TempDir()
	bin := buildDMSExport(t, t.TempDir())

	var mu sync.Mutex
	requests := map[string]int{}
	auditStarted := make(chan struct{})
	var once sync.Once
	var stall atomic.Bool
	stall.Store(true)

	rig := &exportRig{}
	var h atomic.Pointer[http.Handler]
	apiSrv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if isDocument(r) {
			mu.Lock()
			requests[filepath.Base(r.URL.Path)]++
			mu.Unlock()
			if strings.HasSuffix(r.URL.Path, "/certificate") && stall.Load() {
				// Half the audit trail, then hang until the exporter dies.
				once.Do(func() { close(auditStarted) })
				w.Header().Set("Content-Length", strconv.Itoa(docBytes))
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(make([]byte, docBytes/2))
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-time.After(time.Minute):
				}
				return
			}
		}
		(*h.Load()).ServeHTTP(w, r)
	})
	api := demo.DevAPI()
	api.DocumentBytes = docBytes
	cfg := demo.RenderConfig(demo.ConfigParams{
		AdminToken: mesh.AdminToken, Tenant: "acme", Secrets: demo.DevSecrets(),
		APIBaseURL: apiSrv, API: api, PersistTimeout: "2s", Export: fmt.Sprintf(`{target: "file://%s"}`, dir),
	})
	// The pipeline in process, without its exporter: that one runs alone.
	rig.m = mesh.Start(t, mesh.Options{Config: cfg, Build: process.WithDeadLetters(func(ctx context.Context, env *process.Env) (process.Runner, error) {
		var g process.Group
		for _, b := range []process.BuildFunc{ingress.FromEnv, verifier.FromEnv, statesync.FromEnv, admin.FromEnv} {
			r, err := b(ctx, env)
			if err != nil {
				return nil, err
			}
			g = append(g, r)
		}
		return g, nil
	})})
	sb, err := sandbox.New(sandbox.Config{Target: rig.m.IngressURL, Tenant: "acme", Secrets: demo.DevSecrets(), API: api, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	rig.sb = sb
	handler := sb.APIHandler()
	h.Store(&handler)
	rig.target, err = target.Open(context.Background(), config.ExportTarget{Scheme: config.SchemeFile, Dir: dir}, target.Credentials{}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}

	cfgPath := filepath.Join(t.TempDir(), "countersign.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--config", cfgPath, "--nats-url", rig.m.NATS.URL, "--data", t.TempDir(), "--log-level", "warn")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	proc := start()
	t.Cleanup(func() { _ = proc.Process.Kill(); _, _ = proc.Process.Wait() })

	// One completed DocuSign envelope.
	var e *sandbox.Envelope
	for _, c := range sandbox.Generate(rand.New(rand.NewSource(9)), 40, []string{sandbox.KindDocuSign}, "acme") {
		if c.Truth == envelope.StateCompleted {
			e = c
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := sb.Fire(ctx, []*sandbox.Envelope{e}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-auditStarted:
	case <-time.After(2 * time.Minute):
		t.Fatal("the export never reached audit.pdf")
	}
	if err := proc.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_, _ = proc.Process.Wait()
	stall.Store(false)
	proc = start()

	// The killed delivery comes back after the consumer's AckWait (30s).
	done := rig.waitExported(t, []*sandbox.Envelope{e}, 2*time.Minute)
	rig.checkExport(t, e, done[e.ID])
	mu.Lock()
	defer mu.Unlock()
	if requests["combined"] != 1 || requests["certificate"] != 2 {
		t.Errorf("downloads: combined %d (want 1: stored before the kill), certificate %d (want 2)", requests["combined"], requests["certificate"])
	}
}

// newTestServer serves f on a loopback port for the test's life and
// returns its URL.
func newTestServer(t *testing.T, f http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}
