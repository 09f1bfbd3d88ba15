package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testTarget sends Standard Webhooks deliveries to url and collects acks.
func testTarget(t *testing.T, url string) (Target, *sync.Map) {
	t.Helper()
	sg, err := NewStandardWebhooksSigner(SWSecret)
	if err != nil {
		t.Fatal(err)
	}
	var acks sync.Map
	return Target{
		URL: url, Signer: sg,
		IDs:   func(i uint64) string { return "t-" + strconv.FormatUint(i, 10) },
		OnAck: func(id string, at time.Time) { acks.Store(id, at) },
	}, &acks
}

func count(m *sync.Map) uint64 {
	var n uint64
	m.Range(func(_, _ any) bool { n++; return true })
	return n
}

func TestSaturateCountsEveryAnswer(t *testing.T) {
	verify, err := NewStandardWebhooksVerifier(SWSecret)
	if err != nil {
		t.Fatal(err)
	}
	reject := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) })
	tests := []struct {
		name         string
		h            http.Handler
		wantAccepted bool
	}{
		{"verify", verify, true},
		{"bare", BareHandler(), true},
		{"429", reject, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.h)
			defer srv.Close()
			target, acks := testTarget(t, srv.URL)
			c := NewClient(4)
			defer c.CloseIdleConnections()
			r := Saturate(context.Background(), c, target, tt.name, 4, 200*time.Millisecond)
			if r.Sent == 0 || r.Sent != r.Accepted+r.Rejected+r.Errors {
				t.Fatalf("sent %d != accepted %d + rejected %d + errors %d", r.Sent, r.Accepted, r.Rejected, r.Errors)
			}
			if got := count(acks); got != r.Accepted {
				t.Fatalf("OnAck called %d times, accepted %d", got, r.Accepted)
			}
			if tt.wantAccepted {
				if r.Accepted == 0 || r.Rejected != 0 || r.Rate <= 0 || r.Latency.Count != int(r.Accepted) {
					t.Fatalf("result = %+v", r)
				}
			} else if r.Accepted != 0 || r.Status["429"] != r.Rejected {
				t.Fatalf("result = %+v", r)
			}
			if r.Mode != "closed" || r.Connections != 4 {
				t.Fatalf("mode/conns = %s/%d", r.Mode, r.Connections)
			}
		})
	}
}

func TestSaturateReportsTransportErrors(t *testing.T) {
	addrs, err := FreeAddrs(1)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := testTarget(t, "http://"+addrs[0]+"/")
	r := Saturate(context.Background(), NewClient(1), target, "down", 1, 50*time.Millisecond)
	if r.Errors == 0 || r.Accepted != 0 || r.FirstError == "" {
		t.Fatalf("result = %+v", r)
	}
}

func TestOpenLoopKeepsRate(t *testing.T) {
	srv := httptest.NewServer(BareHandler())
	defer srv.Close()
	target, _ := testTarget(t, srv.URL)
	c := NewClient(16)
	defer c.CloseIdleConnections()
	r := OpenLoop(context.Background(), c, target, "open", 500, 400*time.Millisecond, 16)
	if r.Sent != 200 || r.Accepted != 200 || r.Missed != 0 {
		t.Fatalf("result = %+v, want 200 sent and accepted", r)
	}
	// 200 sends spread over 400ms: the rate is the schedule's, not the
	// server's capacity.
	if r.Rate < 350 || r.Rate > 650 {
		t.Fatalf("rate = %.0f/s, want about 500/s", r.Rate)
	}
}

// TestOpenLoopCountsQueueing is the coordinated-omission check: a server
// that takes 10ms per answer, offered 200/s over one connection, can only
// do 100/s, so later sends start late and their latency from the
// scheduled time grows far past the 10ms service time a closed loop sees.
func TestOpenLoopCountsQueueing(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(10 * time.Millisecond) // the server's service time under test
		w.WriteHeader(http.StatusOK)
	})
	srv := httptest.NewServer(slow)
	defer srv.Close()
	target, _ := testTarget(t, srv.URL)
	c := NewClient(1)
	defer c.CloseIdleConnections()
	r := OpenLoop(context.Background(), c, target, "slow", 200, 250*time.Millisecond, 1)
	if r.Accepted != 50 {
		t.Fatalf("accepted = %d, want 50: %+v", r.Accepted, r)
	}
	if r.Latency.Max < 100 {
		t.Fatalf("max latency = %.1fms, want ≥ 100ms of queueing (about 250ms expected)", r.Latency.Max)
	}
}

func TestOpenLoopStopsOnCancel(t *testing.T) {
	srv := httptest.NewServer(BareHandler())
	defer srv.Close()
	target, _ := testTarget(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := OpenLoop(ctx, NewClient(2), target, "cancelled", 1000, time.Minute, 2)
	if r.Sent != 0 || r.Missed != 60000 {
		t.Fatalf("result = %+v, want nothing sent, all missed", r)
	}
}
