package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/tests/sandbox"
)

// dropboxAPIKey is the sandbox's Dropbox Sign API key: it guards nothing
// but a loopback sandbox.
const dropboxAPIKey = "bench-dropbox-api-key-not-a-secret-0123456789abcdef"

// ReconcileResult is the reconcile phase: N envelopes whose every
// callback was lost, brought back by polling the provider's API.
type ReconcileResult struct {
	Envelopes int `json:"envelopes"`
	// Events is what the reconciler published (counted on STATE), Drift
	// the envelopes it found behind (POST /v1/reconcile's answer).
	Events int `json:"events"`
	Drift  int `json:"drift"`
	// PollSeconds is the trigger's answer time (list, compare, publish);
	// Seconds runs from the trigger until statesync has applied every
	// event (STATE's consumers have nothing pending).
	PollSeconds     float64 `json:"poll_seconds"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	// Converged counts envelopes whose record holds the provider's state,
	// of Reachable (those polling can find).
	Converged int  `json:"converged"`
	Reachable int  `json:"reachable"`
	Drained   bool `json:"drained"`
	// CPUMicrosPerEvent is countersign's CPU per published event.
	CPUMicrosPerEvent float64 `json:"cpu_us_per_event,omitempty"`
	// PeakRSS is countersign's high-water mark (VmHWM) at the end of the
	// phase: the round holds far more subjects and messages than a
	// saturation phase does.
	PeakRSS int64 `json:"peak_rss_bytes,omitempty"`
}

// reconcileProfile is the length of the reconcile phase's CPU profile
// (--profile): the round's listing and the first of its applying.
const reconcileProfile = 20 * time.Second

// reconcileConfig is Config with Dropbox Sign's API at apiURL; scheduled
// rounds are an hour apart, so only the bench's trigger polls.
func reconcileConfig(apiURL string) string {
	return Config(false) + `      - kind: dropboxsign
        api_key: "` + dropboxAPIKey + `"
        api: {base_url: "` + apiURL + `", rate: 1000000, burst: 1000000}
        reconcile: {interval: 1h, incident_interval: 30m}
`
}

// reconcile runs the reconcile phase: the sandbox plays Dropbox Sign
// (whose list carries signatures) with N settled envelopes countersign
// never heard of; one POST /v1/reconcile brings them back.
func (s *suite) reconcile(ctx context.Context) {
	n := s.o.ReconcileEnvelopes
	s.logf("phase reconcile: %d envelopes", n)
	sb, err := sandbox.New(sandbox.Config{Tenant: Tenant, Seed: 42, Secrets: sandbox.Secrets{DropboxAPIKey: dropboxAPIKey}})
	if err != nil {
		s.problem("reconcile: sandbox: %v", err)
		return
	}
	defer sb.Close()
	api := httptest.NewServer(sb.APIHandler())
	defer api.Close()
	envs := sandbox.Generate(rand.New(rand.NewSource(11)), n, []string{sandbox.KindDropboxSign}, Tenant)
	if err := sb.Settle(envs); err != nil {
		s.problem("reconcile: settle: %v", err)
		return
	}
	c, err := s.startCountersign(ctx, reconcileConfig(api.URL))
	if err != nil {
		s.problem("reconcile: start countersign: %v", err)
		return
	}
	defer c.stop()
	js, err := jetstream.New(c.nc)
	if err != nil {
		s.problem("reconcile: %v", err)
		return
	}
	r := ReconcileResult{Envelopes: n}
	cpu0, cpuErr := ReadCPU(c.srv.PID())
	seq0, err := lastSeq(ctx, js, bus.StreamState)
	if err != nil {
		s.problem("reconcile: %v", err)
		return
	}
	began := time.Now()
	var prof *profiler
	if s.o.ProfileDir != "" {
		prof = startProfile(ctx, c.srv.AdminURL, s.o.ProfileDir, "reconcile", reconcileProfile)
	}
	a, err := triggerReconcile(ctx, c.srv.AdminURL, sandbox.KindDropboxSign, began.Add(-4*time.Hour))
	r.PollSeconds = round3(time.Since(began).Seconds())
	if err != nil {
		// A round longer than the admin listener's write timeout loses its
		// answer, not its work: the events are counted on STATE instead,
		// and the wait below also waits for publishing to stop.
		s.problem("reconcile: %v (waiting for the round anyway)", err)
	}
	r.Drift = a.Drift
	dctx, cancel := context.WithTimeout(ctx, s.o.ReconcileTimeout)
	if err != nil || a.Running {
		// The round lists every change before it publishes: wait for its
		// first event, or "consumed" would hold before it began.
		waitGrown(dctx, js, bus.StreamState, seq0)
	}
	var done time.Time
	done, r.Drained = waitConsumed(dctx, js, bus.StreamState)
	cancel()
	if seq1, err := lastSeq(ctx, js, bus.StreamState); err == nil {
		r.Events = int(seq1 - seq0)
	}
	took := done.Sub(began)
	r.Seconds = round3(took.Seconds())
	r.EventsPerSecond = round3(float64(r.Events) / took.Seconds())
	if cpu1, err := ReadCPU(c.srv.PID()); err == nil && cpuErr == nil && r.Events > 0 {
		r.CPUMicrosPerEvent = round3(float64((cpu1 - cpu0).Microseconds()) / float64(r.Events))
	}
	if m, err := ReadMemory(c.srv.PID()); err == nil {
		r.PeakRSS = m.PeakRSS
	}
	if !r.Drained {
		s.problem("reconcile: STATE not consumed within %v", s.o.ReconcileTimeout)
	}
	if prof != nil {
		if err := prof.wait(); err != nil {
			s.problem("reconcile: %v", err)
		}
	}
	if r.Converged, r.Reachable, err = converged(ctx, js, sb.Truth()); err != nil {
		s.problem("reconcile: read records: %v", err)
	} else if r.Converged < r.Reachable {
		s.problem("reconcile: %d of %d envelopes not at the provider's state", r.Reachable-r.Converged, r.Reachable)
	}
	s.r.Reconcile = &r
	s.logf("phase reconcile: %d envelopes (%d events) in %.1fs (poll %.1fs), %.0f events/s, %d of %d converged, peak RSS %.1f MiB",
		n, r.Events, r.Seconds, r.PollSeconds, r.EventsPerSecond, r.Converged, r.Reachable, mib(r.PeakRSS))
}

// reconcileAnswer is POST /v1/reconcile's answer.
type reconcileAnswer struct {
	Drift     int  `json:"drift"`
	Published int  `json:"published"`
	Running   bool `json:"running"`
}

func triggerReconcile(ctx context.Context, adminURL, provider string, since time.Time) (reconcileAnswer, error) {
	body, _ := json.Marshal(map[string]string{"tenant": Tenant, "provider": provider, "since": since.Format(time.RFC3339)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, adminURL+"/v1/reconcile", bytes.NewReader(body))
	if err != nil {
		return reconcileAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+benchAdminToken)
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		return reconcileAnswer{}, fmt.Errorf("POST /v1/reconcile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var a reconcileAnswer
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("POST /v1/reconcile: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return a, fmt.Errorf("POST /v1/reconcile: %w", err)
	}
	return a, nil
}

// lastSeq is stream's last sequence: how many messages it ever stored.
func lastSeq(ctx context.Context, js jetstream.JetStream, stream string) (uint64, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("bench: stream %s: %w", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bench: stream %s: %w", stream, err)
	}
	return info.State.LastSeq, nil
}

// waitConsumed polls until every consumer of stream has nothing pending
// or unacknowledged and nothing new was stored for a second, or ctx ends
// (false). It returns when the stream was first seen consumed in that
// last quiet second (or now, on ctx's end).
// waitGrown waits until stream holds messages past seq, or ctx ends.
func waitGrown(ctx context.Context, js jetstream.JetStream, stream string, seq uint64) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if s, err := lastSeq(ctx, js, stream); err == nil && s > seq {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func waitConsumed(ctx context.Context, js jetstream.JetStream, stream string) (time.Time, bool) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var seq uint64
	var still, idleSince time.Time
	for {
		if s, err := lastSeq(ctx, js, stream); err == nil && s != seq {
			seq, still, idleSince = s, time.Now(), time.Time{}
		}
		if idle(ctx, js, stream) {
			if idleSince.IsZero() {
				idleSince = time.Now()
			}
			if time.Since(still) >= time.Second {
				return idleSince, true
			}
		} else {
			idleSince = time.Time{}
		}
		select {
		case <-ctx.Done():
			return time.Now(), false
		case <-tick.C:
		}
	}
}

func idle(ctx context.Context, js jetstream.JetStream, stream string) bool {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return false
	}
	l := st.ListConsumers(ctx)
	n := 0
	for info := range l.Info() {
		n++
		if info.NumPending+uint64(info.NumAckPending) > 0 {
			return false
		}
	}
	return l.Err() == nil && n > 0
}

// converged counts the envelopes polling can reach (they exist at the
// provider; Dropbox Sign deletes canceled requests) and those whose
// record holds the provider's state.
func converged(ctx context.Context, js jetstream.JetStream, truth map[string]sandbox.Expected) (ok, reachable int, err error) {
	kv, err := js.KeyValue(ctx, bus.BucketEnvelopes)
	if err != nil {
		return 0, 0, err
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = w.Stop() }()
	states := map[string]envelope.State{}
	for e := range w.Updates() {
		if e == nil {
			break
		}
		var r envelope.Record
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return 0, 0, err
		}
		states[r.EnvelopeID] = r.State
	}
	for _, x := range truth {
		if x.Happened == 0 || (x.Provider == sandbox.KindDropboxSign && x.State == envelope.StateVoided) {
			continue
		}
		reachable++
		if states[x.EnvelopeID] == x.State {
			ok++
		}
	}
	return ok, reachable, nil
}
