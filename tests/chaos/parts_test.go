package chaos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/tests/sandbox"
)

func TestProcLifecycle(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		// act is applied to a started process; wantCrash says whether
		// Revive must find it crashed afterwards.
		act         func(*Proc) error
		script      string
		wantRunning bool
		wantKills   int
		wantStarts  int
		wantCrash   bool
	}{
		{"kill keeps it down", (*Proc).Kill, "sleep 60", false, 1, 1, false},
		{"bounce starts it again", (*Proc).Bounce, "sleep 60", true, 1, 2, false},
		{"start twice is refused", func(p *Proc) error {
			if err := p.Start(); !errors.Is(err, ErrRunning) {
				return errors.New("second start not refused")
			}
			return nil
		}, "sleep 60", true, 0, 1, false},
		{"an exit by itself is a crash", func(p *Proc) error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return waitFor(ctx, 10*time.Millisecond, func() error {
				if p.Running() {
					return errors.New("still running")
				}
				return nil
			})
		}, "echo bye; exit 3", false, 0, 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			log := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".log")
			p := NewProc("p", "test", "sh", log, "-c", c.script)
			t.Cleanup(p.Stop)
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			if err := c.act(p); err != nil {
				t.Fatal(err)
			}
			if got := p.Running(); got != c.wantRunning {
				t.Fatalf("running %v, want %v", got, c.wantRunning)
			}
			kills, starts, _ := p.Counts()
			if kills != c.wantKills || starts != c.wantStarts {
				t.Fatalf("kills %d starts %d, want %d %d", kills, starts, c.wantKills, c.wantStarts)
			}
			crashed, err := p.Revive()
			if err != nil || crashed != c.wantCrash {
				t.Fatalf("revive: crashed %v (%v), want %v", crashed, err, c.wantCrash)
			}
			if errorLines(log, 5) == "" {
				t.Fatalf("log %s has no start marker", log)
			}
		})
	}
}

func TestBalancer(t *testing.T) {
	hits := map[string]int{}
	backend := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[name]++ // requests are sequential
			w.WriteHeader(http.StatusOK)
		}))
		t.Cleanup(s.Close)
		return s
	}
	a, b := backend("a"), backend("b")
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	for _, c := range []struct {
		name     string
		backends []string
		want     []int
	}{
		{"round robin", []string{a.URL, b.URL}, []int{200, 200, 200, 200}},
		{"dead backend answers 502", []string{a.URL, dead.URL}, []int{502, 200, 502, 200}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clear(hits)
			lb, err := NewBalancer(c.backends...)
			if err != nil {
				t.Fatal(err)
			}
			front := httptest.NewServer(lb)
			defer front.Close()
			for i, want := range c.want {
				resp, err := http.Post(front.URL+"/v1/webhooks/acme/docusign", "application/json", strings.NewReader("{}"))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Fatalf("request %d: %d, want %d", i, resp.StatusCode, want)
				}
			}
			if c.name == "round robin" && (hits["a"] != 2 || hits["b"] != 2) {
				t.Fatalf("hits %v, want 2 each", hits)
			}
		})
	}
}

func TestWaitFor(t *testing.T) {
	for _, c := range []struct {
		name    string
		okAfter int // calls until f succeeds; -1 never
		wantErr bool
	}{
		{"at once", 0, false},
		{"after a few calls", 3, false},
		{"never", -1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			calls := 0
			err := waitFor(ctx, 5*time.Millisecond, func() error {
				calls++
				if c.okAfter >= 0 && calls > c.okAfter {
					return nil
				}
				return errors.New("not yet")
			})
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v, want error %v", err, c.wantErr)
			}
			if err != nil && (!errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "not yet")) {
				t.Fatalf("err %v does not wrap ErrTimeout and the last error", err)
			}
		})
	}
}

func TestResultsWriteAndString(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	r := Results{Envelopes: 3, Events: 7, Lost: 0, Duplicated: 0, Kills: 2, Findings: []string{"boom"}}
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	s := r.String()
	for _, want := range []string{"3 envelopes", "7 distinct events", "lost 0, duplicated 0", "2 kills", "FINDING: boom"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if err := r.Write(filepath.Join(t.TempDir(), "missing", "r.json")); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

// TestEnvelopePath checks that ids with "/" and ":" survive as one path
// segment, as the admin API expects.
func TestEnvelopePath(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"doc_1", "/v1/tenants/acme/envelopes/doc_1"},
		{"contracts/2026:x", "/v1/tenants/acme/envelopes/contracts%2F2026:x"},
	} {
		if got := EnvelopePath("acme", c.id); got != c.want {
			t.Errorf("EnvelopePath(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}

// TestConfigLoads: the suite's config passes countersign's own loader and
// names a provider for every kind the sandbox plays (PandaDoc as a
// generic hmac provider), so no callback of the run meets a 404.
func TestConfigLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "countersign.yaml")
	if err := os.WriteFile(path, []byte(Config), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatalf("config does not load: %v", err)
	}
	tn, ok := f.Tenant(Tenant)
	if !ok {
		t.Fatalf("no tenant %s", Tenant)
	}
	for _, k := range sandbox.Kinds {
		if _, ok := tn.Provider(k); !ok {
			t.Errorf("no provider %s for the sandbox's callbacks", k)
		}
	}
}
