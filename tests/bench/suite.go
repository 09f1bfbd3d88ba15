package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Bench credentials: the providers' published test secrets and a literal
// admin token. They guard nothing but a temporary loopback server.
const (
	Tenant          = "bench"
	SWSecret        = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	DocuSignKey     = "docusign-test-key"
	benchAdminToken = "bench-admin-token-not-a-secret"
)

// Config is the countersign config of a bench run; syncAlways makes the
// embedded store fsync every write.
func Config(syncAlways bool) string {
	return `admin:
  tokens: ["` + benchAdminToken + `"]
streams:
  sync_always: ` + strconv.FormatBool(syncAlways) + `
tenants:
  - id: ` + Tenant + `
    rate_limit: {rate: 1000000, burst: 1000000}
    providers:
      - kind: standardwebhooks
        secrets: ["` + SWSecret + `"]
        tolerance: 5m
      - kind: docusign
        hmac_keys: ["` + DocuSignKey + `"]
`
}

// Options configures Run. Zero fields take the defaults in brackets.
type Options struct {
	// Binary is the built countersign all-in-one. Required.
	Binary string
	// RedisURL, when set, is given to countersign as --redis-url (dedupe
	// locks in Redis, as production runs); empty measures the embedded
	// JetStream-KV locks.
	RedisURL string
	// Self is the bench program itself, started with --serve-ceiling for
	// the ceiling servers. Required.
	Self string
	// RepoDir is where `go test -bench` runs (the go.work root). Empty
	// skips the Go benchmarks.
	RepoDir string
	// GoBenchPackages are the packages of the Go benchmarks.
	GoBenchPackages []string
	// GoBenchtime is -benchtime for them [2000x].
	GoBenchtime string
	// Connections is the closed-loop concurrency [64].
	Connections int
	// Saturation is the length of each closed-loop run [10s]; DocuSign's
	// run takes half.
	Saturation time.Duration
	// Rates are the open-loop rates [1000, 5000, 10000]/s, each run for
	// OpenLoop [4s] with up to OpenLoopWorkers [256] in flight.
	Rates           []float64
	OpenLoop        time.Duration
	OpenLoopWorkers int
	// Drain bounds the wait for the pipeline to catch up after the
	// Standard Webhooks saturation and the lowest open-loop rate [30s];
	// other phases wait a third or half of it. A phase with no new entry
	// for 5s stops waiting sooner (and is reported as stalled).
	Drain time.Duration
	// ReconcileEnvelopes is how many envelopes, every callback lost, the
	// reconcile phase brings back through polling [0: the phase is
	// skipped; the bench command defaults to 100,000]. ReconcileTimeout
	// bounds it [10m].
	ReconcileEnvelopes int
	ReconcileTimeout   time.Duration
	// Only, when set, runs just the named phases: open<rate>, swsat,
	// dssat, syncsat, reconcile, bare, verify, gobench.
	Only []string
	// Partitions, when set, is countersign's streams.partitions (else its
	// default): the parallelism of the pipeline.
	Partitions int
	// ProfileDir, when set, receives a CPU profile of countersign per
	// phase (<phase>.pprof), taken while the load runs.
	ProfileDir string
	// NATSNode, when set, is the natsnode binary (tests/cmd/natsnode):
	// the R3 phases run countersign on a 3-node cluster of it with every
	// stream at three replicas.
	NATSNode string
	// Log receives progress lines [os.Stderr].
	Log io.Writer
}

func (o *Options) defaults() {
	if o.GoBenchtime == "" {
		o.GoBenchtime = "2000x"
	}
	if o.Connections == 0 {
		o.Connections = 64
	}
	if o.Saturation == 0 {
		o.Saturation = 10 * time.Second
	}
	if len(o.Rates) == 0 {
		o.Rates = []float64{1000, 5000, 10000}
	}
	if o.OpenLoop == 0 {
		o.OpenLoop = 4 * time.Second
	}
	if o.OpenLoopWorkers == 0 {
		o.OpenLoopWorkers = 256
	}
	if o.Drain == 0 {
		o.Drain = 30 * time.Second
	}
	if o.ReconcileTimeout == 0 {
		o.ReconcileTimeout = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
}

// runs reports whether phase is to run.
func (o *Options) runs(phase string) bool {
	return len(o.Only) == 0 || slices.Contains(o.Only, phase)
}

// drainIdle is how long a drain waits without a new entry before it calls
// the pipeline stalled.
const drainIdle = 5 * time.Second

// Run runs every phase and returns the figures. A phase that fails is
// listed in Results.Problems and the run goes on with the next one; the
// error is only for a run that could not start at all.
func Run(ctx context.Context, o Options) (*Results, error) {
	o.defaults()
	if o.Binary == "" || o.Self == "" {
		return nil, fmt.Errorf("bench: Options.Binary and Options.Self are required")
	}
	sw, err := NewStandardWebhooksSigner(SWSecret)
	if err != nil {
		return nil, err
	}
	r := &Results{StartedAt: time.Now().UTC(), Machine: ThisMachine(), Ratios: map[string]float64{}, Locks: "jetstream-kv"}
	if o.RedisURL != "" {
		r.Locks = "redis"
	}
	r.Machine.LoadAverageStart = loadAverage()
	s := &suite{o: o, r: r, sw: sw, ds: NewDocuSignSigner(DocuSignKey)}

	for _, p := range s.phases() {
		if o.runs(p.name) {
			s.run(ctx, p)
		}
	}
	if o.runs("reconcile") && o.ReconcileEnvelopes > 0 {
		s.reconcile(ctx)
	}
	for _, name := range []string{"bare", "verify"} {
		if o.runs(name) {
			s.ceiling(ctx, name)
		}
	}
	s.ratios()
	if o.RepoDir != "" && len(o.GoBenchPackages) > 0 && o.runs("gobench") {
		s.logf("go test -bench %v", o.GoBenchPackages)
		gctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		r.GoBenchmarks, err = RunGoBenchmarks(gctx, o.RepoDir, o.GoBenchtime, o.GoBenchPackages...)
		cancel()
		if err != nil {
			s.problem("go benchmarks: %v", err)
		}
	}
	r.Machine.LoadAverageEnd = loadAverage()
	r.Seconds = round3(time.Since(r.StartedAt).Seconds())
	return r, nil
}

type suite struct {
	o      Options
	r      *Results
	sw, ds Signer
}

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(s.o.Log, "bench: "+format+"\n", args...)
}

func (s *suite) problem(format string, args ...any) {
	p := fmt.Sprintf(format, args...)
	s.logf("PROBLEM %s", p)
	s.r.Problems = append(s.r.Problems, p)
}

// countersign is a started all-in-one with the pipeline subscribed.
type countersign struct {
	srv  *Server
	nc   *nats.Conn
	pipe *Pipeline
	dir  string
}

func (s *suite) startCountersign(ctx context.Context, config string) (*countersign, error) {
	return s.startCountersignOn(ctx, config, nil)
}

// startCountersignOn starts countersign on cluster's NATS (nil: its
// embedded server), with every stream at the cluster's size in replicas.
func (s *suite) startCountersignOn(ctx context.Context, config string, cluster *natsCluster) (*countersign, error) {
	if cluster != nil {
		config = strings.Replace(config, "streams:\n", "streams:\n  replicas: "+strconv.Itoa(len(cluster.procs))+"\n", 1)
	}
	if s.o.Partitions > 0 {
		config = strings.Replace(config, "streams:\n", "streams:\n  partitions: "+strconv.Itoa(s.o.Partitions)+"\n", 1)
	}
	dir, err := os.MkdirTemp("", "countersign-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: temp dir: %w", err)
	}
	var env []string
	if s.o.RedisURL != "" {
		env = append(env, "COUNTERSIGN_REDIS_URL="+s.o.RedisURL)
	}
	natsURL := ""
	if cluster != nil {
		natsURL = cluster.URL
		env = append(env, "COUNTERSIGN_NATS_URL="+natsURL)
	}
	srv, err := StartServer(ctx, ServerConfig{Binary: s.o.Binary, Config: config, Dir: dir, Env: env})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	c := &countersign{srv: srv, dir: dir, pipe: NewPipeline()}
	if natsURL == "" {
		natsURL = srv.NATSURL
	}
	if c.nc, err = nats.Connect(natsURL, nats.Name("countersign-bench")); err != nil {
		c.stop()
		return nil, fmt.Errorf("bench: connect %s: %w", natsURL, err)
	}
	if _, err := c.pipe.Subscribe(c.nc); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *countersign) stop() {
	if c.nc != nil {
		c.nc.Close()
	}
	c.srv.Stop()
	_ = os.RemoveAll(c.dir)
}

func (c *countersign) target(sg Signer, t *Tracker) Target {
	return Target{
		URL:    c.srv.IngressURL + "/v1/webhooks/" + Tenant + "/" + sg.Kind(),
		Signer: sg, IDs: t.ID, OnAck: t.Ack,
	}
}

// phase is one measured load against a fresh countersign.
type phase struct {
	// name is the tracker's phase name (no '-'); envelope ids start with it.
	name   string
	signer Signer
	sync   bool
	// drain bounds the wait for the pipeline after the load.
	drain time.Duration
	load  func(ctx context.Context, c *http.Client, t Target) LoadResult
	// length is how long load runs (the profile's length).
	length time.Duration
	// memory records the process's RSS over this phase.
	memory bool
	// cluster runs countersign on a 3-node cluster, every stream R3.
	cluster bool
}

// warmupFor is the closed-loop warm-up each fresh server gets, so that
// connection set-up and first stream writes stay out of the figures.
const warmupFor = 300 * time.Millisecond

// run starts a fresh countersign (so that no earlier backlog competes
// for the CPU), warms it up, runs the load, then waits for the pipeline
// within the drain bound and records both sides.
func (s *suite) run(ctx context.Context, p phase) {
	var cluster *natsCluster
	if p.cluster {
		var err error
		if cluster, err = startCluster(ctx, s.o.NATSNode, ClusterNodes); err != nil {
			s.problem("%s: start cluster: %v", p.name, err)
			return
		}
		defer cluster.stop()
	}
	c, err := s.startCountersignOn(ctx, Config(p.sync), cluster)
	if err != nil {
		s.problem("%s: start countersign: %v", p.name, err)
		return
	}
	defer c.stop()
	client := NewClient(max(s.o.Connections, s.o.OpenLoopWorkers))
	defer client.CloseIdleConnections()

	warm := c.pipe.Phase("warmup" + p.name)
	Saturate(ctx, client, c.target(p.signer, warm), "warmup", 8, warmupFor)
	wctx, cancel := context.WithTimeout(ctx, s.o.Drain)
	warm.Drain(wctx, drainIdle)
	cancel()

	s.logf("phase %s", p.name)
	var sm *sampler
	if p.memory {
		sm = startSampler(c.srv.PID())
	}
	tr := c.pipe.Phase(p.name)
	var prof *profiler
	if s.o.ProfileDir != "" {
		prof = startProfile(ctx, c.srv.AdminURL, s.o.ProfileDir, p.name, p.length)
	}
	cpu0, cpuErr := ReadCPU(c.srv.PID())
	var nodes0 time.Duration
	if cluster != nil {
		nodes0, _ = cluster.cpu()
	}
	start := time.Now()
	lr := p.load(ctx, client, c.target(p.signer, tr))
	if prof != nil {
		if err := prof.wait(); err != nil {
			s.problem("%s: %v", p.name, err)
		}
	}
	if lr.Accepted == 0 {
		s.problem("%s: nothing accepted (status %v, first error %q)", p.name, lr.Status, lr.FirstError)
	}
	dctx, cancel := context.WithTimeout(ctx, p.drain)
	drained, stalled := tr.Drain(dctx, drainIdle)
	cancel()
	pr := tr.Result(start, drained)
	if cpu1, err := ReadCPU(c.srv.PID()); err == nil && cpuErr == nil && pr.Acked > 0 {
		pr.CPUMicrosPerDelivery = round3(float64((cpu1 - cpu0).Microseconds()) / float64(pr.Acked))
	}
	if cluster != nil && pr.Acked > 0 {
		if nodes1, err := cluster.cpu(); err == nil {
			pr.ClusterCPUMicrosPerDelivery = round3(float64((nodes1 - nodes0).Microseconds()) / float64(pr.Acked))
		}
	}
	if stalled {
		s.problem("%s: pipeline stalled: no ledger entry for %v while %d acknowledged deliveries had none", p.name, drainIdle, pr.Missing)
	}
	if sm != nil {
		s.r.Memory.MaxSampledRSS = sm.stop()
		if m, err := ReadMemory(c.srv.PID()); err != nil {
			s.problem("%s: memory: %v", p.name, err)
		} else {
			s.r.Memory.PeakRSS, s.r.Memory.SteadyRSS = m.PeakRSS, m.RSS
		}
	}
	if c.srv.Exited() {
		s.problem("%s: countersign exited; its stderr:\n%s", p.name, strings.TrimSpace(c.srv.Stderr()))
	}
	if lr.Mode == "open" {
		s.r.OpenLoop = append(s.r.OpenLoop, lr)
	} else {
		s.r.Saturation = append(s.r.Saturation, lr)
	}
	s.r.Pipeline = append(s.r.Pipeline, pr)
	s.logf("phase %s: %.0f accepted/s, p99 %.2f ms; pipeline %.0f entries/s, %d of %d entries within %v, e2e p99 %.2f ms; %.0f µs CPU per delivery",
		p.name, lr.Rate, lr.Latency.P99, pr.EntriesPerSecond, pr.Matched, pr.Acked, p.drain, pr.EndToEnd.P99, pr.CPUMicrosPerDelivery)
}

// phases lists the countersign phases in the order they run.
func (s *suite) phases() []phase {
	var ps []phase
	for i, rate := range s.o.Rates {
		drain := s.o.Drain / 3
		if i == 0 {
			drain = s.o.Drain // the lowest rate should drain fully: its e2e latency is the clean one
		}
		ps = append(ps, phase{
			name: fmt.Sprintf("open%.0f", rate), signer: s.sw, drain: drain, length: s.o.OpenLoop,
			load: func(ctx context.Context, c *http.Client, t Target) LoadResult {
				return OpenLoop(ctx, c, t, fmt.Sprintf("countersign/standardwebhooks@%.0f/s", rate), rate, s.o.OpenLoop, s.o.OpenLoopWorkers)
			},
		})
	}
	saturate := func(name string, d time.Duration) func(context.Context, *http.Client, Target) LoadResult {
		return func(ctx context.Context, c *http.Client, t Target) LoadResult {
			return Saturate(ctx, c, t, name, s.o.Connections, d)
		}
	}
	ps = append(ps,
		phase{name: "swsat", signer: s.sw, drain: s.o.Drain, memory: true, length: s.o.Saturation,
			load: saturate("countersign/standardwebhooks", s.o.Saturation)},
		phase{name: "dssat", signer: s.ds, drain: s.o.Drain / 3, length: s.o.Saturation / 2,
			load: saturate("countersign/docusign", s.o.Saturation/2)},
		phase{name: "syncsat", signer: s.sw, sync: true, drain: s.o.Drain / 3, length: s.o.Saturation,
			load: saturate("countersign/standardwebhooks/sync_always", s.o.Saturation)},
	)
	if s.o.NATSNode != "" {
		ps = append(ps,
			phase{name: "r3open1000", signer: s.sw, cluster: true, drain: s.o.Drain, length: s.o.OpenLoop,
				load: func(ctx context.Context, c *http.Client, t Target) LoadResult {
					return OpenLoop(ctx, c, t, "countersign/standardwebhooks/r3@1000/s", 1000, s.o.OpenLoop, s.o.OpenLoopWorkers)
				}},
			phase{name: "r3sat", signer: s.sw, cluster: true, drain: s.o.Drain, length: s.o.Saturation,
				load: saturate("countersign/standardwebhooks/r3", s.o.Saturation)},
		)
	}
	return ps
}

// ceiling: the same saturation against a bare or verify-only server.
func (s *suite) ceiling(ctx context.Context, name string) {
	s.logf("ceiling %s", name)
	srv, err := StartCeiling(ctx, s.o.Self, name, SWSecret)
	if err != nil {
		s.problem("start ceiling %s: %v", name, err)
		return
	}
	defer srv.Stop()
	client := NewClient(s.o.Connections)
	defer client.CloseIdleConnections()
	t := Target{URL: srv.IngressURL + "/v1/webhooks/" + Tenant + "/standardwebhooks", Signer: s.sw,
		IDs: func(i uint64) string { return "ceil-" + strconv.FormatUint(i, 10) }}
	lr := Saturate(ctx, client, t, "ceiling/"+name, s.o.Connections, s.o.Saturation)
	if lr.Accepted == 0 || lr.Rejected > 0 {
		s.problem("ceiling %s: %d accepted, %d rejected (status %v)", name, lr.Accepted, lr.Rejected, lr.Status)
	}
	s.r.Saturation = append(s.r.Saturation, lr)
	s.logf("ceiling %s: %.0f/s, p99 %.2f ms", name, lr.Rate, lr.Latency.P99)
}

// ratios divides each countersign saturation rate by each ceiling's.
func (s *suite) ratios() {
	rates := map[string]float64{}
	for _, l := range s.r.Saturation {
		rates[l.Name] = l.Rate
	}
	for _, cs := range []string{"countersign/standardwebhooks", "countersign/docusign", "countersign/standardwebhooks/sync_always"} {
		for _, ceil := range []string{"ceiling/bare", "ceiling/verify"} {
			if rates[cs] > 0 && rates[ceil] > 0 {
				s.r.Ratios[cs+" ÷ "+ceil] = round3(rates[cs] / rates[ceil])
			}
		}
	}
}

// sampler polls a process's VmRSS while load runs and keeps the largest.
type sampler struct {
	done   chan struct{}
	result chan int64
}

func startSampler(pid int) *sampler {
	sm := &sampler{done: make(chan struct{}), result: make(chan int64, 1)}
	go func() {
		var peak int64
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			if m, err := ReadMemory(pid); err == nil {
				peak = max(peak, m.RSS)
			}
			select {
			case <-sm.done:
				sm.result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return sm
}

// stop ends sampling and returns the largest RSS seen. Call it once.
func (sm *sampler) stop() int64 {
	close(sm.done)
	return <-sm.result
}
