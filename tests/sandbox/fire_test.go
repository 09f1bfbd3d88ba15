package sandbox

import (
	"context"
	"encoding/json"
	"math/rand"
	"net/http"
	"testing"
	"time"
)

func newTestSandbox(t *testing.T, target string, mod func(*Config)) *Sandbox {
	t.Helper()
	cfg := Config{
		Target: target, Tenant: "acme", Secrets: testSecrets, Seed: 7,
		Concurrency: 4, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func fire(t *testing.T, s *Sandbox, envs []*Envelope) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := s.Fire(ctx, envs)
	if err != nil {
		t.Fatalf("Fire: %v", err)
	}
	return rep
}

// checkIdentities asserts the Report's documented sums.
func checkIdentities(t *testing.T, r Report) {
	t.Helper()
	if r.Callbacks != r.Dropped+r.Delivered+r.Failed {
		t.Errorf("callbacks %d != dropped %d + delivered %d + failed %d", r.Callbacks, r.Dropped, r.Delivered, r.Failed)
	}
	if r.Sent != r.Callbacks-r.Dropped+r.Retried+r.Duplicated {
		t.Errorf("sent %d != callbacks %d - dropped %d + retried %d + duplicated %d", r.Sent, r.Callbacks, r.Dropped, r.Retried, r.Duplicated)
	}
	if r.Retried != r.TransportErrors+r.Non2xx+r.BadAck+r.LostAcks-r.Failed {
		t.Errorf("retried %d != failures %d+%d+%d+%d - failed %d", r.Retried, r.TransportErrors, r.Non2xx, r.BadAck, r.LostAcks, r.Failed)
	}
	if r.Forged != r.Rejected401+r.ForgedNot401 {
		t.Errorf("forged %d != rejected %d + not 401 %d", r.Forged, r.Rejected401, r.ForgedNot401)
	}
}

func TestFireCleanDeliversEveryCallbackOnce(t *testing.T) {
	f := newFakeIngress(t, 0)
	s := newTestSandbox(t, f.srv.URL, nil)
	envs := Generate(rand.New(rand.NewSource(1)), 25, nil, "acme")
	rep := fire(t, s, envs)
	checkIdentities(t, rep)
	got, rejected := f.snapshot()
	if rejected != 0 || rep.Non2xx != 0 || rep.Failed != 0 || rep.Dropped != 0 {
		t.Fatalf("clean run had rejections %d, report %+v", rejected, rep)
	}
	if len(got) != rep.Callbacks || rep.Sent != rep.Callbacks || rep.Delivered != rep.Callbacks {
		t.Fatalf("ingress got %d, report sent %d delivered %d callbacks %d", len(got), rep.Sent, rep.Delivered, rep.Callbacks)
	}
	if len(rep.AckLatencies) != rep.Callbacks || rep.AckLatencies.P99() < rep.AckLatencies.P50() {
		t.Fatalf("latencies: %d for %d callbacks, p50 %s p99 %s", len(rep.AckLatencies), rep.Callbacks, rep.AckLatencies.P50(), rep.AckLatencies.P99())
	}
	// Every callback-bearing step arrived, for the right tenant.
	want := 0
	for _, e := range envs {
		for _, st := range e.Script {
			if eventName(e.Provider, st) != "" {
				want++
			}
		}
	}
	keys := map[string]bool{}
	for _, d := range got {
		keys[d.key()] = true
		if d.tenant != "acme" {
			t.Fatalf("delivery for tenant %q", d.tenant)
		}
	}
	if len(keys) != want || want != rep.Callbacks {
		t.Fatalf("distinct happenings %d, callback steps %d, report %d", len(keys), want, rep.Callbacks)
	}
	truth := s.Truth()
	for _, e := range envs {
		x := truth[e.Key()]
		if x.State != e.Truth || x.Happened != len(e.Script) {
			t.Errorf("%s: truth %s after %d steps, want %s after %d", e.Key(), x.State, x.Happened, e.Truth, len(e.Script))
		}
		silent := false
		for _, st := range e.Script {
			silent = silent || eventName(e.Provider, st) == ""
		}
		if x.WebhookComplete == silent {
			t.Errorf("%s: webhook complete %v with silent steps %v", e.Key(), x.WebhookComplete, silent)
		}
	}
}

func TestFireRedeliversUntilAcknowledged(t *testing.T) {
	tests := []struct {
		name          string
		failFirst     int
		redeliveries  int
		wantDelivered bool
	}{
		{"503 twice then 200", 2, 3, true},
		{"503 beyond the redeliveries", 4, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIngress(t, tt.failFirst)
			s := newTestSandbox(t, f.srv.URL, func(c *Config) { c.Redeliveries = tt.redeliveries })
			envs := Generate(rand.New(rand.NewSource(2)), 10, nil, "acme")
			rep := fire(t, s, envs)
			checkIdentities(t, rep)
			attempts := min(tt.failFirst+1, tt.redeliveries+1)
			if rep.Sent != attempts*rep.Callbacks || rep.Retried != (attempts-1)*rep.Callbacks {
				t.Fatalf("sent %d retried %d for %d callbacks, want %d attempts each", rep.Sent, rep.Retried, rep.Callbacks, attempts)
			}
			if rep.StatusCodes[http.StatusServiceUnavailable] != rep.Non2xx || rep.Non2xx != min(tt.failFirst, attempts)*rep.Callbacks {
				t.Fatalf("non-2xx %d, 503s %d", rep.Non2xx, rep.StatusCodes[http.StatusServiceUnavailable])
			}
			if got := rep.Delivered == rep.Callbacks; got != tt.wantDelivered {
				t.Fatalf("delivered %d of %d", rep.Delivered, rep.Callbacks)
			}
			for k, x := range s.Truth() {
				if x.WebhookComplete && !tt.wantDelivered {
					t.Fatalf("%s: webhook complete though every delivery failed", k)
				}
			}
			// Redeliveries keep the provider's identity: the same
			// webhook-id / notification id; DocuSign counts retries.
			got, _ := f.snapshot()
			ids := map[string]map[string]bool{}
			retryCounts := map[string]map[float64]bool{}
			for _, d := range got {
				if d.deliveryID != "" {
					if ids[d.key()] == nil {
						ids[d.key()] = map[string]bool{}
					}
					ids[d.key()][d.deliveryID] = true
				}
				if d.kind == KindDocuSign {
					var p struct {
						RetryCount float64 `json:"retryCount"`
					}
					if err := json.Unmarshal(d.body, &p); err != nil {
						t.Fatal(err)
					}
					if retryCounts[d.key()] == nil {
						retryCounts[d.key()] = map[float64]bool{}
					}
					retryCounts[d.key()][p.RetryCount] = true
				}
			}
			for k, set := range ids {
				if len(set) != 1 {
					t.Fatalf("%s: delivery ids %v across redeliveries", k, set)
				}
			}
			if len(retryCounts) == 0 {
				t.Fatal("no DocuSign deliveries recorded")
			}
			for k, set := range retryCounts {
				if len(set) != attempts {
					t.Fatalf("%s: retryCounts %v, want %d distinct", k, set, attempts)
				}
			}
		})
	}
}

func TestFireFaultCountsAddUp(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"drops", func(c *Config) { c.DropPct = 0.3 }},
		{"duplicates", func(c *Config) { c.DuplicatePct = 0.4 }},
		{"reorder", func(c *Config) { c.Reorder = true }},
		{"forged", func(c *Config) { c.ForgedPct = 0.3 }},
		{"lost acks", func(c *Config) { c.LostAckPct = 0.3; c.Redeliveries = 5 }},
		{"everything", func(c *Config) {
			c.DropPct, c.DuplicatePct, c.ForgedPct, c.LostAckPct = 0.1, 0.2, 0.1, 0.1
			c.Reorder, c.Redeliveries, c.MaxDelay = true, 3, time.Millisecond
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIngress(t, 0)
			s := newTestSandbox(t, f.srv.URL, tt.mod)
			envs := Generate(rand.New(rand.NewSource(3)), 30, nil, "acme")
			rep := fire(t, s, envs)
			checkIdentities(t, rep)
			got, rejected := f.snapshot()
			if len(got) != rep.Sent {
				t.Fatalf("ingress accepted %d, sandbox sent %d", len(got), rep.Sent)
			}
			if rejected != rep.Forged || rep.Rejected401 != rep.Forged || rep.ForgedNot401 != 0 {
				t.Fatalf("ingress rejected %d, forged %d, 401s %d", rejected, rep.Forged, rep.Rejected401)
			}
			keys := map[string]bool{}
			for _, d := range got {
				keys[d.key()] = true
			}
			if len(keys) != rep.Callbacks-rep.Dropped {
				t.Fatalf("distinct happenings %d, want callbacks %d - dropped %d", len(keys), rep.Callbacks, rep.Dropped)
			}
			cfg := s.cfg
			checks := []struct {
				on    bool
				count int
				what  string
			}{
				{cfg.DropPct > 0, rep.Dropped, "dropped"},
				{cfg.DuplicatePct > 0, rep.Duplicated, "duplicated"},
				{cfg.Reorder, rep.Reordered, "reordered"},
				{cfg.ForgedPct > 0, rep.Forged, "forged"},
				{cfg.LostAckPct > 0, rep.LostAcks, "lost acks"},
			}
			for _, c := range checks {
				if c.on != (c.count > 0) {
					t.Errorf("%s = %d with knob on = %v", c.what, c.count, c.on)
				}
			}
			// Dropped callbacks still happened at the provider.
			truth := s.Truth()
			for _, e := range envs {
				if x := truth[e.Key()]; x.State != e.Truth {
					t.Errorf("%s: truth %s, want %s", e.Key(), x.State, e.Truth)
				}
			}
		})
	}
}

func TestFireDuplicatesAreByteIdentical(t *testing.T) {
	f := newFakeIngress(t, 0)
	s := newTestSandbox(t, f.srv.URL, func(c *Config) { c.DuplicatePct = 1 })
	rep := fire(t, s, Generate(rand.New(rand.NewSource(4)), 10, nil, "acme"))
	got, _ := f.snapshot()
	if rep.Duplicated != rep.Callbacks || len(got) != 2*rep.Callbacks {
		t.Fatalf("duplicated %d of %d, ingress got %d", rep.Duplicated, rep.Callbacks, len(got))
	}
	byKey := map[string][]delivery{}
	for _, d := range got {
		byKey[d.key()] = append(byKey[d.key()], d)
	}
	for k, ds := range byKey {
		if len(ds) != 2 || string(ds[0].body) != string(ds[1].body) ||
			ds[0].header.Get("webhook-signature") != ds[1].header.Get("webhook-signature") {
			t.Fatalf("%s: %d deliveries, not identical", k, len(ds))
		}
	}
}

func TestFireOutageDropsCallbacks(t *testing.T) {
	f := newFakeIngress(t, 0)
	s := newTestSandbox(t, f.srv.URL, func(c *Config) { c.OutageWindows = []Window{{Start: 0, End: time.Hour}} })
	envs := Generate(rand.New(rand.NewSource(5)), 10, nil, "acme")
	rep := fire(t, s, envs)
	checkIdentities(t, rep)
	got, _ := f.snapshot()
	if len(got) != 0 || rep.Dropped != rep.Callbacks || rep.OutageDropped != rep.Callbacks {
		t.Fatalf("ingress got %d; dropped %d (outage %d) of %d", len(got), rep.Dropped, rep.OutageDropped, rep.Callbacks)
	}
	for k, x := range s.Truth() {
		if x.WebhookComplete {
			t.Fatalf("%s: webhook complete during a total outage", k)
		}
	}
}

func TestFireStopsWithContext(t *testing.T) {
	f := newFakeIngress(t, 0)
	s := newTestSandbox(t, f.srv.URL, func(c *Config) { c.MaxDelay = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Fire(ctx, Generate(rand.New(rand.NewSource(6)), 5, nil, "acme")); err == nil {
		t.Fatal("Fire with a cancelled context returned no error")
	}
}

func TestReportJSON(t *testing.T) {
	r := Report{Callbacks: 3, AckLatencies: Latencies{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["callbacks"] != 3.0 || m["ack_p50_ms"] != 2.0 || m["ack_p99_ms"] != 3.0 || m["ack_count"] != 3.0 {
		t.Fatalf("report JSON %s", b)
	}
}
