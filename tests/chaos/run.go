package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/tests/sandbox"
)

// callbacksPerEnvelope is about how many callbacks a generated lifecycle
// has; it sizes the sandbox's pauses so that firing lasts Options.FireFor.
const callbacksPerEnvelope = 5.5

// Options size a chaos run. Zero fields take the defaults of Modest.
type Options struct {
	Envelopes int
	Seed      int64
	// FireFor is about how long the sandbox should fire: the chaos lasts
	// as long.
	FireFor time.Duration
	// MinInterval and MaxInterval bound the pause between chaos actions.
	MinInterval, MaxInterval time.Duration
	// RedisEvery, NATSKills, NATSEvery and NodeDown: see Monkey.
	RedisEvery, NATSKills, NATSEvery int
	NodeDown                         time.Duration
	// ConvergeTimeout bounds the wait for every envelope to converge once
	// the firing is over.
	ConvergeTimeout time.Duration
	Replicas        Replicas
	// Out is the results file ("" writes none); LogDir keeps the
	// processes' logs ("" puts them in a temp dir, removed after a passing
	// run and kept — its path printed — after a failing one).
	Out, LogDir string
}

// Modest is the size `go test` runs in CI: about a minute.
var Modest = Options{
	Envelopes: 60, Seed: 1, FireFor: 15 * time.Second,
	MinInterval: time.Second, MaxInterval: 2 * time.Second,
	RedisEvery: 4, NATSKills: 1, NATSEvery: 15, NodeDown: 3 * time.Second,
	ConvergeTimeout: 3 * time.Minute,
	Replicas:        Replicas{Ingress: 2, Verifier: 2, Statesync: 2, Admin: 1},
}

// Full is the size of `go tool task test:chaos`.
var Full = Options{
	Envelopes: 500, Seed: 1, FireFor: 90 * time.Second,
	MinInterval: time.Second, MaxInterval: 2 * time.Second,
	RedisEvery: 6, NATSKills: 2, NATSEvery: 25, NodeDown: 4 * time.Second,
	ConvergeTimeout: 5 * time.Minute,
	Replicas:        Replicas{Ingress: 2, Verifier: 2, Statesync: 2, Admin: 1},
}

func (o Options) withDefaults() Options {
	d := Modest
	if o.Envelopes <= 0 {
		o.Envelopes = d.Envelopes
	}
	if o.FireFor <= 0 {
		o.FireFor = d.FireFor
	}
	if o.MinInterval <= 0 || o.MaxInterval < o.MinInterval {
		o.MinInterval, o.MaxInterval = d.MinInterval, d.MaxInterval
	}
	if o.NATSEvery <= 0 {
		o.NATSEvery = d.NATSEvery
	}
	if o.NodeDown <= 0 {
		o.NodeDown = d.NodeDown
	}
	if o.ConvergeTimeout <= 0 {
		o.ConvergeTimeout = d.ConvergeTimeout
	}
	if o.Replicas == (Replicas{}) {
		o.Replicas = d.Replicas
	}
	return o
}

// rig is everything a run starts.
type rig struct {
	cluster  *Cluster
	redis    *meshtest.Redis
	services *Services
	js       jetstream.JetStream
	file     *config.File
	admin    *Admin
	lbURL    string
	logs     []string
}

// Run starts a 3-node NATS cluster, Redis and the services as OS processes,
// plants one poison message, fires the sandbox's envelopes through a load
// balancer while the Monkey kills processes, then checks every envelope
// against the truth and every ledger against what was accepted. It returns
// the figures (also written to o.Out); failures are Findings, not test
// failures, so that the figures are written whatever happens. Only a rig
// that cannot start fails the test.
func Run(t meshtest.TB, o Options) Results {
	t.Helper()
	o = o.withDefaults()
	r := startRig(t, o)
	poisonSeq := plantPoison(t, r.js)
	res := Results{Envelopes: o.Envelopes, DLQPlanted: 1, Logs: r.logs}
	finding := func(format string, args ...any) { res.Findings = append(res.Findings, fmt.Sprintf(format, args...)) }

	rng := rand.New(rand.NewSource(o.Seed))
	maxDelay := time.Duration(float64(o.FireFor) * 2 * sandbox.DefaultConcurrency / (callbacksPerEnvelope * float64(o.Envelopes)))
	sb, err := sandbox.New(sandbox.Config{
		Target: r.lbURL, Tenant: Tenant, Secrets: Secrets,
		DuplicatePct: 0.1, LostAckPct: 0.05, Reorder: true, MaxDelay: maxDelay,
		Redeliveries: sandbox.MaxRedeliveries, RetryBase: 50 * time.Millisecond, RetryMax: time.Second,
		Timeout: 10 * time.Second, Seed: o.Seed,
	})
	if err != nil {
		t.Fatalf("chaos: sandbox: %v", err)
	}
	t.Cleanup(sb.Close)
	envs := sandbox.Generate(rng, o.Envelopes, nil, Tenant)

	m := &Monkey{
		Services: r.services.Procs, Cluster: r.cluster, Redis: r.redis, JS: r.js, Rng: rng,
		RedisEvery: o.RedisEvery, NATSKills: o.NATSKills, NATSEvery: o.NATSEvery, NodeDown: o.NodeDown,
		Logf: t.Logf,
	}
	if os.Getenv("COUNTERSIGN_REDIS_URL") != "" {
		m.RedisEvery = 0 // an external Redis is not ours to restart
	}
	start := time.Now()
	res.Sandbox = fireWithChaos(t, sb, envs, m, o, rng)
	res.FireSeconds = time.Since(start).Seconds()
	converging := time.Now()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.Heal(ctx); err != nil {
		finding("cluster did not heal after the chaos: %v", err)
	}
	res.Kills, res.Crashes, res.RedisRestarts, res.NATSNodeKills = m.ServiceKills, m.Crashes, m.RedisRestarts, m.NATSDowns
	for _, e := range m.Errors {
		finding("chaos action failed: %s", e)
	}
	if res.Sandbox.ForgedNot401 > 0 {
		finding("%d forged deliveries not answered 401", res.Sandbox.ForgedNot401)
	}

	sets, raw, bad, err := AcceptedEvents(ctx, r.js, r.file)
	if err != nil {
		t.Fatalf("%v", err)
	}
	res.RawCallbacks, res.Events = raw, sets.Total()
	for _, b := range bad {
		finding("stored callback does not parse: %s", b)
	}
	converge(r, m, sb.Truth(), sets, o.ConvergeTimeout, &res, finding)
	res.ConvergeSeconds = time.Since(converging).Seconds()
	checkDLQ(r, poisonSeq, &res, finding)
	checkLedgerStream(r, &res, finding)
	for _, p := range r.services.Procs {
		_, starts, _ := p.Counts()
		res.Restarts += starts - 1
	}
	res.Restarts += res.RedisRestarts + m.NATSRestarts
	if o.Out != "" {
		if err := res.Write(o.Out); err != nil {
			t.Fatalf("%v", err)
		}
	}
	if len(res.Findings) > 0 {
		for _, l := range r.logs {
			t.Logf("chaos: log %s:\n%s", l, errorLines(l, 20))
		}
	}
	return res
}

// Secrets are the values Config holds for the tenant.
var Secrets = sandbox.Secrets{
	StandardWebhooks:   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	DocuSignKey:        "docusign-test-key",
	DropboxAPIKey:      "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782",
	AdobeClientID:      "adobe-client-1",
	ESignAnyWhereToken: "esaw-token-1",
	PandaDocKey:        "pandadoc-test-key",
}

// startRig builds the binaries and starts Redis, the cluster, the services
// and the load balancer.
func startRig(t meshtest.TB, o Options) *rig {
	t.Helper()
	work := t.TempDir()
	logDir := o.LogDir
	if logDir == "" {
		logDir = keepLogsDir(t)
	} else if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatalf("chaos: log dir: %v", err)
	}
	bins, err := Build(filepath.Join(work, "bin"))
	if err != nil {
		t.Fatalf("%v", err)
	}
	r := &rig{redis: meshtest.StartRedis(t)}
	r.cluster = StartCluster(t, bins.NATSNode, filepath.Join(work, "nats"), logDir, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range r.cluster.Nodes {
		if err := r.cluster.WaitNode(ctx, i); err != nil {
			t.Fatalf("chaos: NATS node %d: %v (log %s)", i+1, err, r.cluster.Nodes[i].LogPath())
		}
	}
	nc, err := nats.Connect(r.cluster.URL, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatalf("chaos: connect %s: %v", r.cluster.URL, err)
	}
	t.Cleanup(nc.Close)
	if r.js, err = jetstream.New(nc); err != nil {
		t.Fatalf("chaos: jetstream: %v", err)
	}
	if err := WaitJetStream(ctx, r.js); err != nil {
		t.Fatalf("chaos: cluster has no JetStream: %v", err)
	}
	r.services = StartServices(t, bins, o.Replicas, r.cluster.URL, r.redis.URL, work, logDir)
	if r.file, err = config.Load(r.services.ConfigPath); err != nil {
		t.Fatalf("chaos: %v", err)
	}
	r.admin = NewAdmin(r.services.AdminURL, AdminToken)
	var backends []string
	for _, a := range r.services.IngressAddrs {
		backends = append(backends, "http://"+a)
	}
	lb, err := NewBalancer(backends...)
	if err != nil {
		t.Fatalf("chaos: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("chaos: balancer: %v", err)
	}
	srv := &http.Server{Handler: lb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	r.lbURL = "http://" + l.Addr().String()
	for _, p := range append(append([]*Proc(nil), r.cluster.Nodes...), r.services.Procs...) {
		r.logs = append(r.logs, p.LogPath())
	}
	return r
}

// fireWithChaos fires envs in the background and acts the monkey from this
// goroutine at random intervals until the firing is over.
func fireWithChaos(t meshtest.TB, sb *sandbox.Sandbox, envs []*sandbox.Envelope, m *Monkey, o Options, rng *rand.Rand) sandbox.Report {
	t.Helper()
	type fired struct {
		rep sandbox.Report
		err error
	}
	done := make(chan fired, 1)
	go func() {
		// Generous: the sandbox's own retries end every envelope well
		// before this.
		ctx, cancel := context.WithTimeout(context.Background(), 10*o.FireFor+5*time.Minute)
		defer cancel()
		rep, err := sb.Fire(ctx, envs)
		done <- fired{rep, err}
	}()
	next := func() time.Duration {
		return o.MinInterval + time.Duration(rng.Int63n(int64(o.MaxInterval-o.MinInterval)+1))
	}
	timer := time.NewTimer(next())
	defer timer.Stop()
	for {
		select {
		case f := <-done:
			if f.err != nil && !errors.Is(f.err, context.Canceled) {
				t.Fatalf("chaos: sandbox fire: %v", f.err)
			}
			return f.rep
		case <-timer.C:
			m.Act(t)
			timer.Reset(next())
		}
	}
}

// plantPoison publishes one raw callback that cannot be decoded (no
// method header): the verifier must dead-letter it, and it must be the
// DLQ's only entry. It returns its RAW sequence.
func plantPoison(t meshtest.TB, js jetstream.JetStream) uint64 {
	t.Helper()
	msg := nats.NewMsg(bus.RawSubject(Tenant, "standardwebhooks", "poison"))
	msg.Header.Set(HeaderPoison, "1")
	msg.Header.Set(bus.HeaderTenant, Tenant)
	msg.Header.Set(bus.HeaderProvider, "standardwebhooks")
	msg.Data = []byte(`{"poison":true}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ack, err := js.PublishMsg(ctx, msg)
	if err != nil {
		t.Fatalf("chaos: plant poison: %v", err)
	}
	return ack.Sequence
}
