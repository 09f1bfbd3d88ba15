package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/tests/sandbox"
)

// recoverN sizes TestMissedEventsRecoveryTime: how many envelopes whose
// every callback was lost the reconciler must bring back.
var recoverN = flag.Int("reconcile.n", 300, "envelopes TestMissedEventsRecoveryTime recovers through polling")

const (
	docuSignKey   = "docusign-test-key"
	dropboxAPIKey = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
	docuSignToken = "ds-sandbox-token"
)

// reconcileConfig is a mesh config whose DocuSign and Dropbox Sign have
// api: pointing at the sandbox. Scheduled rounds are an hour apart, so
// only the tests' triggers poll.
func reconcileConfig(apiURL string, rate int) string {
	return fmt.Sprintf(`
admin:
  tokens: [%q]
tenants:
  - id: acme
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: docusign
        hmac_keys: [%q]
        api: {base_url: %q, token: %q, account_id: %q, rate: %d, burst: %d}
        reconcile: {interval: 1h, incident_interval: 30m}
      - kind: dropboxsign
        api_key: %q
        api: {base_url: %q, rate: %d, burst: %d}
        reconcile: {interval: 1h, incident_interval: 30m}
`, mesh.AdminToken, docuSignKey, apiURL, docuSignToken, sandbox.DefaultDocuSignAcct, rate, rate,
		dropboxAPIKey, apiURL, rate, rate)
}

func newSandbox(t *testing.T, target string, api sandbox.APIConfig, outage []sandbox.Window) *sandbox.Sandbox {
	t.Helper()
	api.DocuSignToken = docuSignToken
	sb, err := sandbox.New(sandbox.Config{
		Target: target, Tenant: "acme", Seed: 42, OutageWindows: outage, API: api,
		Secrets: sandbox.Secrets{DocuSignKey: docuSignKey, DropboxAPIKey: dropboxAPIKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	return sb
}

// reconcileAnswer is POST /v1/reconcile's answer.
type reconcileAnswer struct {
	Tenant    string `json:"tenant"`
	Provider  string `json:"provider"`
	Checked   int    `json:"checked"`
	Drift     int    `json:"drift"`
	Published int    `json:"published"`
}

// trigger POSTs /v1/reconcile with token ("" for none) and returns the
// status and answer.
func trigger(t *testing.T, m *mesh.Mesh, token, provider string, since time.Time) (int, reconcileAnswer) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"tenant": "acme", "provider": provider, "since": since.Format(time.RFC3339)})
	req, _ := http.NewRequest(http.MethodPost, m.AdminURL+"/v1/reconcile", bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 5 * time.Minute}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/reconcile: %v", err)
	}
	defer resp.Body.Close()
	var a reconcileAnswer
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, a
}

// reachable reports whether polling can bring countersign to x: the
// envelope exists at the provider, and is not a canceled Dropbox Sign
// request (Dropbox Sign deletes those: neither listed nor readable).
func reachable(x sandbox.Expected) bool {
	return x.Happened > 0 && !(x.Provider == sandbox.KindDropboxSign && x.State == envelope.StateVoided)
}

// drained waits until the verifier and statesync have nothing left to do.
func drained(t *testing.T, m *mesh.Mesh, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	meshtest.CheckFor(t, timeout, 50*time.Millisecond, func() error {
		var pipeline []struct{ stream, consumer string }
		for _, stream := range []string{bus.StreamRaw, bus.StreamState} {
			for _, durable := range bus.TopologyConsumers(bus.Topology{})[stream] { // one per partition
				pipeline = append(pipeline, struct{ stream, consumer string }{stream, durable})
			}
		}
		for _, c := range pipeline {
			cons, err := m.NATS.JS.Consumer(ctx, c.stream, c.consumer)
			if err != nil {
				return err
			}
			info, err := cons.Info(ctx)
			if err != nil {
				return err
			}
			if info.NumPending+uint64(info.NumAckPending) > 0 {
				return fmt.Errorf("%s: %d pending, %d unacked", c.consumer, info.NumPending, info.NumAckPending)
			}
		}
		return nil
	})
}

// TestOutageConvergesThroughPolling: an outage drops every callback; a
// reconcile window from before the outage brings every envelope to the
// provider's truth, with verifying ledgers; a webhook that arrives after
// the poll adds no ledger entry; the trigger needs the admin token.
func TestOutageConvergesThroughPolling(t *testing.T) {
	apiSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(apiSrv.Close)
	m := startMesh(t, reconcileConfig(apiSrv.URL, 500))
	sb := newSandbox(t, m.IngressURL, sandbox.APIConfig{}, []sandbox.Window{{Start: 0, End: time.Hour}})
	apiSrv.Config.Handler = sb.APIHandler()

	start := time.Now().Add(-4 * time.Hour) // Generate dates steps within the last 3 hours
	envs := sandbox.Generate(rand.New(rand.NewSource(7)), 40, []string{sandbox.KindDocuSign, sandbox.KindDropboxSign}, "acme")
	rep, err := sb.Fire(context.Background(), envs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OutageDropped != rep.Callbacks || rep.Callbacks == 0 {
		t.Fatalf("outage dropped %d of %d callbacks, want all", rep.OutageDropped, rep.Callbacks)
	}

	if code, _ := trigger(t, m, "", sandbox.KindDocuSign, start); code != http.StatusUnauthorized {
		t.Fatalf("trigger without token: %d, want 401", code)
	}
	truth := sb.Truth()
	want := 0
	for _, x := range truth {
		if reachable(x) {
			want++
		}
	}
	published := 0
	for _, kind := range []string{sandbox.KindDocuSign, sandbox.KindDropboxSign} {
		code, a := trigger(t, m, mesh.AdminToken, kind, start)
		if code != http.StatusOK {
			t.Fatalf("trigger %s: %d", kind, code)
		}
		if a.Tenant != "acme" || a.Provider != kind || a.Drift == 0 || a.Published < a.Drift {
			t.Fatalf("trigger %s answered %+v", kind, a)
		}
		published += a.Published
	}
	t.Logf("%d envelopes reachable through polling, %d events published", want, published)
	for _, x := range truth {
		if !reachable(x) {
			continue
		}
		checkEnvelope(t, m, x)
	}

	// A late webhook: the completion of a DocuSign envelope, delivered
	// after the poll has applied it, carries the same semantic id.
	var late *sandbox.Envelope
	for _, e := range envs {
		if e.Provider == sandbox.KindDocuSign && e.Truth == envelope.StateCompleted {
			late = e
			break
		}
	}
	if late == nil {
		t.Fatal("no completed DocuSign envelope generated")
	}
	var before envelopeView
	adminGet(t, m, envelopePath("acme", late.ID), &before)
	lateOnly := *late
	lateOnly.Script = late.Script[len(late.Script)-1:]
	sb2 := newSandbox(t, m.IngressURL, sandbox.APIConfig{}, nil)
	if rep, err := sb2.Fire(context.Background(), []*sandbox.Envelope{&lateOnly}); err != nil || rep.Sent == 0 || rep.Non2xx > 0 {
		t.Fatalf("late webhook: %+v, %v", rep, err)
	}
	drained(t, m, 30*time.Second)
	var after envelopeView
	adminGet(t, m, envelopePath("acme", late.ID), &after)
	if after.LedgerSeq != before.LedgerSeq || after.State != string(envelope.StateCompleted) {
		t.Fatalf("late webhook: ledger_seq %d → %d, state %q: want no new entry", before.LedgerSeq, after.LedgerSeq, after.State)
	}
}

// checkEnvelope waits until countersign holds x's state and signatures
// with a verifying ledger.
func checkEnvelope(t *testing.T, m *mesh.Mesh, x sandbox.Expected) {
	t.Helper()
	meshtest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		var v envelopeView
		if code := adminGet(t, m, envelopePath("acme", x.EnvelopeID), &v); code != http.StatusOK {
			return fmt.Errorf("%s %s: status %d", x.Provider, x.EnvelopeID, code)
		}
		if want := x.State; v.State != string(want) {
			return fmt.Errorf("%s %s: state %q, want %q", x.Provider, x.EnvelopeID, v.State, want)
		}
		got := map[string]string{}
		for _, r := range v.Recipients {
			got[r.ID] = r.State
			got[r.Email] = r.State
		}
		for _, r := range x.Recipients {
			if r.State != envelope.RecipientSigned {
				continue
			}
			if got[r.ID] != "signed" && got[r.Email] != "signed" {
				return fmt.Errorf("%s %s: recipient %s/%s not signed (have %v)", x.Provider, x.EnvelopeID, r.ID, r.Email, got)
			}
		}
		var l ledgerView
		adminGet(t, m, envelopePath("acme", x.EnvelopeID)+"/ledger", &l)
		if !l.Verified || len(l.Entries) == 0 {
			return fmt.Errorf("%s: ledger of %d entries does not verify", x.EnvelopeID, len(l.Entries))
		}
		return nil
	})
}

// requestLog counts the API requests the reconciler makes and when.
type requestLog struct {
	mu    sync.Mutex
	byKey map[string][]attempt
	// throttleFirst answers the first request of every key 429 with
	// Retry-After: 1 before the sandbox sees it, so a round that needs
	// a single request still meets a throttled answer.
	throttleFirst bool
}

type attempt struct {
	at     time.Time
	status int
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path + "?" + r.URL.Query().Get("start_position") + r.URL.Query().Get("page")
		l.mu.Lock()
		first := l.throttleFirst && len(l.byKey[key]) == 0
		l.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if first {
			sw.Header().Set("Retry-After", "1")
			sw.WriteHeader(http.StatusTooManyRequests)
		} else {
			h.ServeHTTP(sw, r)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.byKey[key] = append(l.byKey[key], attempt{at: time.Now(), status: sw.status})
	})
}

// TestThrottledProviderIsBackedOff: a provider API answering most
// requests 429 or 503 with Retry-After is retried after the wait it asks
// for, a bounded number of times — never hammered.
func TestThrottledProviderIsBackedOff(t *testing.T) {
	apiSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(apiSrv.Close)
	m := startMesh(t, reconcileConfig(apiSrv.URL, 50))
	sb := newSandbox(t, "", sandbox.APIConfig{Rate429Pct: 0.35, Rate5xxPct: 0.25}, nil)
	// The list carries recipients, so a round may need one request only:
	// its first answer is always a 429, the rest as the sandbox draws.
	log := &requestLog{byKey: map[string][]attempt{}, throttleFirst: true}
	apiSrv.Config.Handler = log.wrap(sb.APIHandler())
	envs := sandbox.Generate(rand.New(rand.NewSource(3)), 6, []string{sandbox.KindDocuSign}, "acme")
	if err := sb.Settle(envs); err != nil {
		t.Fatal(err)
	}
	code, a := trigger(t, m, mesh.AdminToken, sandbox.KindDocuSign, time.Now().Add(-4*time.Hour))
	// The round either got through or gave up after its retries (502).
	if code != http.StatusOK && code != http.StatusBadGateway {
		t.Fatalf("trigger: %d", code)
	}
	t.Logf("trigger answered %d %+v", code, a)
	log.mu.Lock()
	defer log.mu.Unlock()
	total, throttled := 0, 0
	for key, as := range log.byKey {
		// One call is at most 1 + RetryMax (4) attempts.
		if len(as) > 5*2 { // a path may be called twice: list entry, then a status
			t.Errorf("%s: %d attempts", key, len(as))
		}
		for i := 1; i < len(as); i++ {
			prev := as[i-1]
			if prev.status != http.StatusTooManyRequests && prev.status != http.StatusServiceUnavailable {
				continue
			}
			throttled++
			// Retry-After: 1 (less a little scheduling slack).
			if gap := as[i].at.Sub(prev.at); gap < 900*time.Millisecond {
				t.Errorf("%s: retried %s after a %d with Retry-After 1s", key, gap, prev.status)
			}
		}
		total += len(as)
	}
	if throttled == 0 {
		t.Fatalf("no retry after a throttled answer among %d requests: the test proves nothing", total)
	}
}

// TestMissedEventsRecoveryTime measures how long the reconciler takes to
// bring back envelopes whose every callback was lost (-reconcile.n
// envelopes; Dropbox Sign, whose list carries signatures): from the
// trigger to every record holding the provider's state.
func TestMissedEventsRecoveryTime(t *testing.T) {
	apiSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(apiSrv.Close)
	m := startMesh(t, reconcileConfig(apiSrv.URL, 10000))
	sb := newSandbox(t, "", sandbox.APIConfig{}, nil)
	apiSrv.Config.Handler = sb.APIHandler()
	envs := sandbox.Generate(rand.New(rand.NewSource(11)), *recoverN, []string{sandbox.KindDropboxSign}, "acme")
	if err := sb.Settle(envs); err != nil {
		t.Fatal(err)
	}
	truth := sb.Truth()
	began := time.Now()
	code, a := trigger(t, m, mesh.AdminToken, sandbox.KindDropboxSign, time.Now().Add(-4*time.Hour))
	if code != http.StatusOK {
		t.Fatalf("trigger: %d", code)
	}
	polled := time.Since(began)
	drained(t, m, 10*time.Minute)
	ctx := context.Background()
	kv, err := m.NATS.JS.KeyValue(ctx, bus.BucketEnvelopes)
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]envelope.Record{}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		t.Fatal(err)
	}
	for e := range w.Updates() {
		if e == nil {
			break
		}
		var r envelope.Record
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			t.Fatal(err)
		}
		recs[r.EnvelopeID] = r
	}
	_ = w.Stop()
	recovered := time.Since(began)
	wrong := 0
	for _, x := range truth {
		if want := x.State; reachable(x) && recs[x.EnvelopeID].State != want {
			if wrong < 5 {
				t.Errorf("%s: state %q, want %q", x.EnvelopeID, recs[x.EnvelopeID].State, want)
			}
			wrong++
		}
	}
	if wrong > 0 {
		t.Fatalf("%d envelopes not at the provider's state", wrong)
	}
	t.Logf("recovered %d envelopes (%d events, %d drifted) in %s (poll and publish %s): %.0f events/s",
		len(envs), a.Published, a.Drift, recovered.Round(time.Millisecond), polled.Round(time.Millisecond),
		float64(a.Published)/recovered.Seconds())
}

// Polling rebuilds recipients: a DocuSign outage loses every callback, and
// one listStatusChanges window (include=recipients) brings back every
// recipient's state — delivered and declined as well as signed — not only
// the envelope's (issue #17).
func TestPollingRebuildsDocuSignRecipients(t *testing.T) {
	apiSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(apiSrv.Close)
	m := startMesh(t, reconcileConfig(apiSrv.URL, 500))
	sb := newSandbox(t, m.IngressURL, sandbox.APIConfig{}, []sandbox.Window{{Start: 0, End: time.Hour}})
	var single atomic.Int32 // GET envelopes/{id}: the list alone must do
	api := sb.APIHandler()
	apiSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, id, ok := strings.Cut(r.URL.Path, "/envelopes/"); ok && !strings.Contains(id, "/") {
			single.Add(1) // not documents/…, which the DMS export fetches
		}
		api.ServeHTTP(w, r)
	})
	envs := sandbox.Generate(rand.New(rand.NewSource(17)), 12, []string{sandbox.KindDocuSign}, "acme")
	if _, err := sb.Fire(context.Background(), envs); err != nil {
		t.Fatal(err)
	}
	if code, a := trigger(t, m, mesh.AdminToken, sandbox.KindDocuSign, time.Now().Add(-4*time.Hour)); code != http.StatusOK || a.Published == 0 {
		t.Fatalf("trigger: %d %+v", code, a)
	}
	checked := 0
	for _, x := range sb.Truth() {
		if !reachable(x) {
			continue
		}
		meshtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
			var v envelopeView
			if code := adminGet(t, m, envelopePath("acme", x.EnvelopeID), &v); code != http.StatusOK {
				return fmt.Errorf("%s: %d", x.EnvelopeID, code)
			}
			got := map[string]string{}
			for _, r := range v.Recipients {
				got[r.ID] = r.State
			}
			for _, r := range x.Recipients {
				if r.State == "" || r.State == envelope.RecipientSent {
					continue
				}
				if got[r.ID] != string(r.State) {
					return fmt.Errorf("%s: recipient %s is %q, want %q (have %v)", x.EnvelopeID, r.ID, got[r.ID], r.State, got)
				}
			}
			return nil
		})
		checked++
	}
	if checked == 0 {
		t.Fatal("no envelope reachable: the test proves nothing")
	}
	// Without recipients in the list, every envelope needed its own status
	// call — which DocuSign allows once per 15 minutes per envelope.
	if n := single.Load(); n != 0 {
		t.Fatalf("%d single-envelope status calls: the list did not carry the recipients", n)
	}
}
