package ingress

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/countersign/countersign/shared/config"
)

// The ingress decisions — 2xx only once stored, 503 when storing fails,
// nothing stored for a forgery, a retry stored once, a reused delivery id
// with another body stored anyway — over an in-memory RawStore: no NATS.

type fakeRaw struct {
	mu     sync.Mutex
	byID   map[string]uint64
	bodies [][]byte
	err    error
}

func (f *fakeRaw) Store(_ context.Context, msg *nats.Msg, id string) (uint64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, false, f.err
	}
	if seq, ok := f.byID[id]; ok {
		return seq, true, nil
	}
	f.bodies = append(f.bodies, msg.Data)
	f.byID[id] = uint64(len(f.bodies))
	return uint64(len(f.bodies)), false, nil
}

func (f *fakeRaw) Body(_ context.Context, seq uint64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[seq-1], nil
}

func (f *fakeRaw) stored() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

func fakeIngress(t *testing.T, raw RawStore) *Service {
	t.Helper()
	f, err := config.Parse("decide.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(t.Context(), Config{File: f, Raw: raw, Registry: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecisionsWithoutNATS(t *testing.T) {
	body := `{"type":"document.sent","timestamp":"2026-01-01T00:00:00Z","data":{"document_id":"e1"}}`
	send := func(s *Service, r *http.Request) int {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		return w.Code
	}
	t.Run("2xx once stored; a retry is stored once", func(t *testing.T) {
		raw := &fakeRaw{byID: map[string]uint64{}}
		s := fakeIngress(t, raw)
		for range 2 {
			if code := send(s, swRequest(t, swSecret, "msg_1", time.Now(), body)); code != http.StatusOK {
				t.Fatalf("answered %d, want 200", code)
			}
		}
		if raw.stored() != 1 {
			t.Fatalf("stored %d messages, want 1", raw.stored())
		}
	})
	t.Run("a delivery id reused with another body is stored too", func(t *testing.T) {
		raw := &fakeRaw{byID: map[string]uint64{}}
		s := fakeIngress(t, raw)
		other := `{"type":"document.completed","timestamp":"2026-01-01T00:00:00Z","data":{"document_id":"e1"}}`
		for _, b := range []string{body, other, other} {
			if code := send(s, swRequest(t, swSecret, "msg_2", time.Now(), b)); code != http.StatusOK {
				t.Fatalf("answered %d, want 200", code)
			}
		}
		if raw.stored() != 2 {
			t.Fatalf("stored %d messages, want 2", raw.stored())
		}
		if got := testutil.ToFloat64(s.metrics.reused.WithLabelValues("acme", "standardwebhooks")); got != 1 {
			t.Fatalf("reused counted %v, want 1", got)
		}
	})
	t.Run("storing fails: 503, never 2xx", func(t *testing.T) {
		s := fakeIngress(t, &fakeRaw{byID: map[string]uint64{}, err: errors.New("nats: no responders")})
		if code := send(s, swRequest(t, swSecret, "msg_3", time.Now(), body)); code != http.StatusServiceUnavailable {
			t.Fatalf("answered %d, want 503", code)
		}
	})
	t.Run("a forgery is refused and not stored", func(t *testing.T) {
		raw := &fakeRaw{byID: map[string]uint64{}}
		s := fakeIngress(t, raw)
		if code := send(s, swRequest(t, "whsec_"+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "msg_4", time.Now(), body)); code != http.StatusUnauthorized {
			t.Fatalf("answered %d, want 401", code)
		}
		if raw.stored() != 0 {
			t.Fatal("a forgery was stored")
		}
	})
}
