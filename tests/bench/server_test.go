package bench

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Memory
		wantErr bool
	}{
		{"linux", "Name:\tcountersign\nVmPeak:\t  900 kB\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\nThreads:\t9\n", Memory{PeakRSS: 2 << 20, RSS: 1 << 20}, false},
		{"no hwm", "VmRSS:\t 1024 kB\n", Memory{}, true},
		{"garbage", "VmHWM: lots\nVmRSS: 1 MB\n", Memory{}, true},
		{"empty", "", Memory{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(strings.NewReader(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrNoProcessStatus) {
					t.Fatalf("error = %v, want ErrNoProcessStatus", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseStatus = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestReadMemoryOfThisProcess(t *testing.T) {
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.PeakRSS < m.RSS {
		t.Fatalf("memory = %+v", m)
	}
	if _, err := ReadMemory(-1); !errors.Is(err, ErrNoProcessStatus) {
		t.Fatalf("ReadMemory(-1) error = %v", err)
	}
}

func TestFreeAddrsDistinct(t *testing.T) {
	addrs, err := FreeAddrs(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if !strings.HasPrefix(a, "127.0.0.1:") || seen[a] {
			t.Fatalf("addresses = %v", addrs)
		}
		seen[a] = true
	}
}

func TestStartServerReportsEarlyExit(t *testing.T) {
	_, err := StartServer(context.Background(), ServerConfig{
		Binary: "/bin/false", Config: Config(false), Dir: t.TempDir(), ReadyTimeout: 10 * time.Second,
	})
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("error = %v, want ErrNotReady", err)
	}
}

func TestServeCeiling(t *testing.T) {
	tests := []struct {
		name, ceiling string
		wantErr       bool
	}{
		{"bare", "bare", false},
		{"verify", "verify", false},
		{"unknown", "nope", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := meshtest.FreeAddr(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- ServeCeiling(ctx, tt.ceiling, addr, SWSecret) }()
			if tt.wantErr {
				defer cancel()
				if err := <-done; err == nil {
					t.Fatal("ServeCeiling accepted an unknown ceiling")
				}
				return
			}
			meshtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
				resp, err := http.Get("http://" + addr + "/readyz")
				if err != nil {
					return err
				}
				_ = resp.Body.Close()
				return nil
			})
			target, _ := testTarget(t, "http://"+addr+"/v1/webhooks/bench/standardwebhooks")
			r := Saturate(ctx, NewClient(2), target, tt.name, 2, 100*time.Millisecond)
			if r.Accepted == 0 || r.Rejected != 0 {
				t.Fatalf("result = %+v", r)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("ServeCeiling: %v", err)
			}
		})
	}
}

func TestConfigNamesBenchTenant(t *testing.T) {
	for _, sync := range []bool{false, true} {
		c := Config(sync)
		for _, want := range []string{"id: bench", "rate: 1000000", SWSecret, DocuSignKey, "sync_always: " + map[bool]string{false: "false", true: "true"}[sync]} {
			if !strings.Contains(c, want) {
				t.Errorf("Config(%v) lacks %q:\n%s", sync, want, c)
			}
		}
	}
}

func TestStderrLogKeepsHeadAndTail(t *testing.T) {
	tests := []struct {
		name     string
		writes   []string
		contains []string
		maxLen   int
	}{
		{"short", []string{"hello ", "world"}, []string{"hello world"}, 11},
		{"long", []string{"panic: boom\n", strings.Repeat("x", 3*stderrKeep), "last line"}, []string{"panic: boom", "[…]", "last line"}, 2*stderrKeep + 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l stderrLog
			for _, w := range tt.writes {
				if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			got := l.String()
			for _, c := range tt.contains {
				if !strings.Contains(got, c) {
					t.Errorf("String() lacks %q", c)
				}
			}
			if len(got) > tt.maxLen {
				t.Errorf("String() is %d bytes, want ≤ %d", len(got), tt.maxLen)
			}
		})
	}
}
