package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/tests/bench"
	"github.com/countersign/countersign/tests/sandbox"
)

// Tenant is the demo's one tenant.
const Tenant = "acme"

// Options configures Run. Zero fields take the defaults in brackets;
// the fault shares are used as given.
type Options struct {
	// Binary is the built countersign all-in-one. Required.
	Binary string
	// Envelopes is how many envelopes are generated, spread over the six
	// providers [200].
	Envelopes int
	// Seed makes envelopes and faults reproducible [1].
	Seed int64
	// DropPct, DuplicatePct, LostAckPct and ForgedPct are the sandbox's
	// fault shares (see sandbox.Config); callbacks are always reordered.
	DropPct, DuplicatePct, LostAckPct, ForgedPct float64
	// Redeliveries is how often the sandbox retries an unacknowledged
	// callback [5].
	Redeliveries int
	// Wait bounds the wait for the envelopes whose callbacks were all
	// acknowledged [60s].
	Wait time.Duration
	// ReconcileGrace is how much longer the others (a callback dropped,
	// or none exists) are given to converge through confirmation or
	// reconciliation [10s].
	ReconcileGrace time.Duration
	// Outage drops every callback fired inside the window (relative to
	// the start of firing); zero End means no outage.
	Outage sandbox.Window
	// Log receives progress lines [os.Stderr].
	Log io.Writer
}

// demoReconcile makes the reconciler poll every few seconds, so the demo
// sees it work; production keeps the defaults (5m, 1m, 24h).
const demoReconcile = "{interval: 5s, incident_interval: 2s, stale_after: 3s}"

// reconciled lists the demo's providers with a provider API to poll.
var reconciled = []string{sandbox.KindDocuSign, sandbox.KindDropboxSign, sandbox.KindAdobeSign, sandbox.KindESignAnyWhere}

func (o *Options) defaults() {
	if o.Envelopes == 0 {
		o.Envelopes = 200
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Redeliveries == 0 {
		o.Redeliveries = 5
	}
	if o.Wait == 0 {
		o.Wait = 60 * time.Second
	}
	if o.ReconcileGrace == 0 {
		o.ReconcileGrace = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
}

// pollInterval is the pause between rounds of admin API reads.
const pollInterval = 250 * time.Millisecond

// Run performs the demo: it serves the providers' APIs from a sandbox on
// a free loopback port, starts the all-in-one binary with a generated
// config (temp dir, free ports, embedded NATS) whose api: sections point
// at that sandbox, fires every provider's callbacks with faults, waits
// for convergence and measures it. The Result is returned whenever the
// run got as far as firing; its Err says whether the demo passed. Other
// failures (the binary does not start, a port cannot be taken) return an
// error.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	if o.Binary == "" {
		return nil, errors.New("demo: Options.Binary is required")
	}
	dir, err := os.MkdirTemp("", "countersign-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo: temp dir: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()

	// The API listener comes first: its URL goes into countersign's
	// config, and countersign's ingress URL into the sandbox's.
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: provider API listener: %w", err)
	}
	defer func() { _ = apiLn.Close() }()
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	// The notification scenario plays alongside, on a tenant of its own.
	pb, err := newPlaybookScenario()
	if err != nil {
		return nil, err
	}
	defer pb.Close()
	cfg := RenderConfig(ConfigParams{
		AdminToken: token, Tenant: Tenant, Secrets: DevSecrets(),
		APIBaseURL: "http://" + apiLn.Addr().String(), API: DevAPI(), Reconcile: demoReconcile,
		Playbook: pb.tenant(),
	})
	fmt.Fprintf(o.Log, "demo: starting %s (config, data and embedded NATS store in %s)\n", o.Binary, dir)
	srv, err := bench.StartServer(ctx, bench.ServerConfig{Binary: o.Binary, Config: cfg, Dir: dir})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer srv.Stop()

	sb, err := sandbox.New(sandbox.Config{
		Target: srv.IngressURL, Tenant: Tenant, Secrets: DevSecrets(), API: DevAPI(),
		DropPct: o.DropPct, DuplicatePct: o.DuplicatePct, LostAckPct: o.LostAckPct,
		ForgedPct: o.ForgedPct, Reorder: true, Redeliveries: o.Redeliveries,
		MaxDelay: 10 * time.Millisecond, Seed: o.Seed, OutageWindows: outages(o.Outage),
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer sb.Close()
	api := &http.Server{Handler: sb.APIHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = api.Serve(apiLn) }()
	defer func() { _ = api.Close() }()
	admin := &Admin{BaseURL: srv.AdminURL, Token: token}
	if err := pb.start(srv.IngressURL); err != nil {
		return nil, err
	}
	played := make(chan error, 1)
	go func() { played <- pb.play(ctx, admin) }()

	envs := sandbox.Generate(mrand.New(mrand.NewSource(o.Seed)), o.Envelopes, nil, Tenant)
	fmt.Fprintf(o.Log, "demo: ingress %s, admin %s, provider APIs http://%s; firing %d envelopes\n",
		srv.IngressURL, srv.AdminURL, apiLn.Addr(), len(envs))
	start := time.Now()
	rep, err := sb.Fire(ctx, envs)
	if err != nil {
		return nil, fmt.Errorf("demo: fire: %w", err)
	}
	res := &Result{Report: rep, FireTime: time.Since(start), PerKind: map[string]int{}}
	for _, e := range envs {
		res.PerKind[e.Provider]++
	}

	must, rest := split(sb.Truth())
	res.WebhookComplete, res.NeedsReconciliation = len(must), len(rest)
	fmt.Fprintf(o.Log, "demo: fired in %s; waiting up to %s for %d envelopes to converge\n",
		res.FireTime.Round(time.Millisecond), o.Wait, len(must))
	waitStart := time.Now()
	wctx, cancel := context.WithTimeout(ctx, o.Wait)
	conv := Await(wctx, admin, must, pollInterval)
	cancel()
	res.Converged, res.Pending = len(conv.Converged), conv.Pending
	res.ConvergeTime = time.Since(waitStart)
	// Webhooks are a hint: ask the reconciler to compare every provider
	// with its API now (it also polls on its own, every few seconds here).
	since := start.Add(-4 * time.Hour) // the sandbox's lifecycles lie in the 3 hours before now
	for _, kind := range reconciled {
		rr, err := admin.Reconcile(ctx, Tenant, kind, since)
		if err != nil {
			return res, err
		}
		res.ReconcileChecked += rr.Checked
		res.ReconcileDrift += rr.Drift
		res.ReconcilePublished += rr.Published
	}
	gctx, cancel := context.WithTimeout(ctx, o.ReconcileGrace)
	late := Await(gctx, admin, rest, pollInterval)
	cancel()
	res.Reconciled = len(late.Converged)
	res.BeyondReach, res.Unreached = map[string]int{}, map[string]error{}
	for k, err := range late.Pending {
		if reason := beyondReach(rest[k], err); reason != "" {
			res.BeyondReach[reason]++
		} else {
			res.Unreached[k] = err
		}
	}

	if err := res.readLedgers(ctx, admin, envs); err != nil {
		return res, err
	}
	if err := res.checkExports(ctx, admin, srv.NATSURL, envs, o.Wait); err != nil {
		return res, err
	}
	pb.err = <-played
	if res.Notify, err = pb.measure(ctx, admin, playbookWait); err != nil {
		return res, err
	}
	if res.DLQ, err = dlqCount(ctx, srv.NATSURL); err != nil {
		return res, err
	}
	return res, nil
}

func outages(w sandbox.Window) []sandbox.Window {
	if w.End <= w.Start {
		return nil
	}
	return []sandbox.Window{w}
}

// split parts the truth into envelopes the webhooks alone must bring to
// their state and those that need the provider's API.
func split(truth map[string]sandbox.Expected) (must, rest map[string]sandbox.Expected) {
	must, rest = map[string]sandbox.Expected{}, map[string]sandbox.Expected{}
	for k, x := range truth {
		if x.WebhookComplete {
			must[k] = x
		} else {
			rest[k] = x
		}
	}
	return must, rest
}

// readLedgers checks every known envelope's ledger and counts the entries
// that came from the providers' APIs.
func (r *Result) readLedgers(ctx context.Context, a *Admin, envs []*sandbox.Envelope) error {
	for _, e := range envs {
		l, err := a.Ledger(ctx, e.Tenant, e.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		r.Ledgers++
		if err := CheckLedger(l); err != nil {
			r.Unsound = append(r.Unsound, fmt.Errorf("%s %s: %w", e.Provider, e.ID, err))
		}
		for _, en := range l.Entries {
			if en.Source == "provider_api" {
				r.FromProviderAPI++
			}
		}
		if l.HasSource("poll") {
			r.RecoveredByPoll++
		}
	}
	return nil
}

// dlqCount reads the DLQ stream's message count over the embedded NATS.
func dlqCount(ctx context.Context, url string) (uint64, error) {
	nc, err := nats.Connect(url, nats.Name("countersign-demo"))
	if err != nil {
		return 0, fmt.Errorf("demo: connect %s: %w", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, fmt.Errorf("demo: jetstream: %w", err)
	}
	s, err := js.Stream(ctx, bus.StreamDLQ)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("demo: stream %s: %w", bus.StreamDLQ, err)
	}
	return s.CachedInfo().State.Msgs, nil
}

// randomToken returns a fresh admin token for one run.
func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("demo: admin token: %w", err)
	}
	return "demo-" + hex.EncodeToString(b), nil
}
