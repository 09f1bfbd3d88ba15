// Package exportbench measures the DMS export (`go tool task bench`): the
// standalone dmsexport binary exports N documents of a given size from a
// provider API served here into each target, against a plain copy of the
// same bytes to the same disk in the same run; and the extra RSS one very
// large document costs the exporter.
package exportbench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/natsserver"
	"github.com/countersign/countersign/tests/bench"
)

// apiKey is the Dropbox Sign API key of the bench config (a docs vector).
const apiKey = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"

// Options configures Run.
type Options struct {
	// Binary is the standalone dmsexport binary. Required.
	Binary string
	// N documents of Size bytes are exported per target [1000, 1 MiB].
	N    int
	Size int64
	// BigSize is the document of the RSS phase [200 MiB].
	BigSize int64
	// Targets to run ["file", "nats-object", "s3"].
	Targets []string
	// Timeout bounds each phase [10m].
	Timeout time.Duration
	Log     io.Writer
}

// Throughput is one target's N-document phase.
type Throughput struct {
	Target    string  `json:"target"`
	Documents int     `json:"documents"`
	Bytes     int64   `json:"bytes"`
	Seconds   float64 `json:"seconds"`
	MBps      float64 `json:"mb_per_s"`
	// CopyMBps is a plain copy of the same bytes (N files, each written,
	// fsynced and renamed into place) on the same disk in the same run.
	CopyMBps float64 `json:"plain_copy_mb_per_s"`
	Ratio    float64 `json:"ratio_to_plain_copy"`
}

// Memory is one target's large-document phase: the exporter's RSS when
// idle, its high-water mark after the export, and the difference.
type Memory struct {
	Target        string `json:"target"`
	DocumentBytes int64  `json:"document_bytes"`
	IdleRSS       int64  `json:"idle_rss_bytes"`
	PeakRSS       int64  `json:"peak_rss_bytes"`
	ExtraRSS      int64  `json:"extra_rss_bytes"`
}

// Results are the export bench's figures.
type Results struct {
	Machine    bench.Machine `json:"machine"`
	Throughput []Throughput  `json:"throughput"`
	Memory     []Memory      `json:"memory"`
}

func (o *Options) defaults() {
	if o.N <= 0 {
		o.N = 1000
	}
	if o.Size <= 0 {
		o.Size = 1 << 20
	}
	if o.BigSize <= 0 {
		o.BigSize = 200 << 20
	}
	if len(o.Targets) == 0 {
		o.Targets = []string{"file", "nats-object", "s3"}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// tb lets the bench use meshtest's helpers (the S3 server) outside a test.
type tb struct {
	dir      string
	cleanups []func()
	n        int
}

func (t *tb) Helper()          {}
func (t *tb) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *tb) TempDir() string {
	t.n++
	d := filepath.Join(t.dir, "t"+strconv.Itoa(t.n))
	_ = os.MkdirAll(d, 0o750)
	return d
}
func (t *tb) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *tb) Logf(string, ...any)               {}
func (t *tb) close() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// Run runs every phase and returns the figures.
func Run(ctx context.Context, o Options) (res *Results, err error) {
	o.defaults()
	if o.Binary == "" {
		return nil, errors.New("exportbench: Options.Binary is required")
	}
	dir, err := os.MkdirTemp("", "countersign-exportbench-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	t := &tb{dir: dir}
	defer t.close()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("exportbench: %v", r)
		}
	}()
	api, err := serveDocuments()
	if err != nil {
		return nil, err
	}
	defer api.Close()
	res = &Results{Machine: bench.ThisMachine()}
	for _, tg := range o.Targets {
		th, err := runPhase(ctx, t, o, api, tg, o.N, o.Size, nil)
		if err != nil {
			return res, fmt.Errorf("%s: %w", tg, err)
		}
		fmt.Fprintf(o.Log, "exportbench: %s: %d × %d MiB in %.1fs: %.1f MB/s (plain copy %.1f MB/s, ratio %.2f)\n",
			tg, th.Documents, o.Size>>20, th.Seconds, th.MBps, th.CopyMBps, th.Ratio)
		res.Throughput = append(res.Throughput, th)
		var mem Memory
		if _, err := runPhase(ctx, t, o, api, tg, 1, o.BigSize, &mem); err != nil {
			return res, fmt.Errorf("%s, %d MiB: %w", tg, o.BigSize>>20, err)
		}
		fmt.Fprintf(o.Log, "exportbench: %s: one %d MiB document: exporter RSS %.1f MiB idle, %.1f MiB peak, extra %.1f MiB\n",
			tg, o.BigSize>>20, mib(mem.IdleRSS), mib(mem.PeakRSS), mib(mem.ExtraRSS))
		res.Memory = append(res.Memory, mem)
	}
	return res, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// documents is a Dropbox Sign files endpoint serving, for request
// "<size>-<i>", size deterministic bytes.
type documents struct {
	srv *http.Server
	url string
}

func (d *documents) Close() { _ = d.srv.Close() }

func serveDocuments() (*documents, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/signature_request/files/{id}", func(w http.ResponseWriter, r *http.Request) {
		sizeStr, _, _ := strings.Cut(r.PathValue("id"), "-")
		size, err := strconv.ParseInt(sizeStr, 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		_, _ = io.Copy(w, &pattern{n: size})
	})
	d := &documents{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, url: "http://" + ln.Addr().String()}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

// pattern is n deterministic bytes.
type pattern struct{ n, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	k := min(int64(len(b)), p.n-p.off)
	for i := range k {
		x := p.off + i
		b[i] = byte(x) ^ byte(x>>11)
	}
	p.off += k
	return int(k), nil
}

// runPhase starts a NATS server, the target and the dmsexport binary,
// publishes n completed ledger entries whose documents are size bytes,
// and waits until all are exported. With mem set it records the
// exporter's RSS instead of the throughput's plain-copy comparison.
func runPhase(ctx context.Context, t *tb, o Options, api *documents, tgt string, n int, size int64, mem *Memory) (Throughput, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	phaseDir := t.TempDir()
	srv, err := natsserver.Start(natsserver.Options{Listen: "127.0.0.1:-1", StoreDir: filepath.Join(phaseDir, "nats"), ServerName: "exportbench"})
	if err != nil {
		return Throughput{}, err
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		return Throughput{}, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return Throughput{}, err
	}
	if err := bus.Setup(ctx, js, bus.Topology{}); err != nil {
		return Throughput{}, err
	}
	var exportYAML, copyDir string
	switch tgt {
	case "file":
		copyDir = filepath.Join(phaseDir, "exports")
		exportYAML = fmt.Sprintf(`{target: "file://%s"}`, copyDir)
	case "nats-object":
		copyDir = filepath.Join(phaseDir, "copy")
		exportYAML = `{target: "nats-object://exports"}`
	case "s3":
		s3 := meshtest.StartS3(t)
		s3.MakeBucket(t, "dms")
		copyDir = s3.Dir
		exportYAML = fmt.Sprintf(`{target: "s3://dms/bench?endpoint=%s&region=us-east-1", access_key: %q, secret_key: %q}`, s3.Endpoint, s3.AccessKey, s3.SecretKey)
	default:
		return Throughput{}, fmt.Errorf("unknown target %q", tgt)
	}
	cfg := fmt.Sprintf(`admin:
  tokens: ["exportbench-token"]
tenants:
  - id: bench
    export: %s
    providers:
      - kind: dropboxsign
        api_key: %q
        api: {base_url: %q, rate: 100000, burst: 100000, timeout: 60s}
`, exportYAML, apiKey, api.url)
	cfgPath := filepath.Join(phaseDir, "countersign.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return Throughput{}, err
	}
	cmd := exec.CommandContext(ctx, o.Binary, "--config", cfgPath, "--nats-url", srv.ClientURL(), "--data", phaseDir, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return Throughput{}, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Started when its export endpoints answer.
	if err := waitFor(ctx, 30*time.Second, func() error {
		_, err := nc.Request("countersign.dmsexport.export_status", []byte(`{"tenant":"bench","envelope_id":"none"}`), time.Second)
		return err
	}); err != nil {
		return Throughput{}, fmt.Errorf("dmsexport did not start: %w", err)
	}
	var idle bench.Memory
	if mem != nil {
		time.Sleep(time.Second) // settle after start-up
		if idle, err = bench.ReadMemory(cmd.Process.Pid); err != nil {
			return Throughput{}, err
		}
	}
	start := time.Now()
	for i := range n {
		if err := publishCompleted(ctx, js, fmt.Sprintf("%d-%d", size, i)); err != nil {
			return Throughput{}, err
		}
	}
	// Every export ends with one exported event on STATE.
	if err := waitFor(ctx, o.Timeout, func() error {
		st, err := js.Stream(ctx, bus.StreamState)
		if err != nil {
			return err
		}
		if got := st.CachedInfo().State.Msgs; got < uint64(n) {
			return fmt.Errorf("%d of %d exported", got, n)
		}
		return nil
	}); err != nil {
		return Throughput{}, err
	}
	elapsed := time.Since(start)
	if mem != nil {
		peak, err := bench.ReadMemory(cmd.Process.Pid)
		if err != nil {
			return Throughput{}, err
		}
		*mem = Memory{Target: tgt, DocumentBytes: size, IdleRSS: idle.RSS, PeakRSS: peak.PeakRSS, ExtraRSS: peak.PeakRSS - idle.RSS}
		return Throughput{}, nil
	}
	total := int64(n) * size
	copySecs, err := plainCopy(filepath.Join(copyDir, "plain-copy"), n, size)
	if err != nil {
		return Throughput{}, err
	}
	th := Throughput{Target: tgt, Documents: n, Bytes: total, Seconds: elapsed.Seconds(),
		MBps: float64(total) / 1e6 / elapsed.Seconds(), CopyMBps: float64(total) / 1e6 / copySecs}
	th.Ratio = th.MBps / th.CopyMBps
	return th, nil
}

// publishCompleted puts a one-entry ledger (completed) of envelope id on
// ENVELOPES, as statesync would.
func publishCompleted(ctx context.Context, js jetstream.JetStream, id string) error {
	now := envelope.FormatTime(time.Now())
	e := envelope.Entry{
		ID: envelope.EventID("bench", "dropboxsign", id, envelope.TypeCompleted, nil, time.Now()), Tenant: "bench",
		Provider: "dropboxsign", EnvelopeID: id, Type: envelope.TypeCompleted, State: envelope.StateCompleted,
		PreviousState: envelope.StateCreated, OccurredAt: now, RecordedAt: now, Source: envelope.SourceWebhook, Seq: 1,
	}
	h, err := e.ComputeHash()
	if err != nil {
		return err
	}
	e.Hash = h
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = js.Publish(ctx, e.Subject(), data, jetstream.WithMsgID(e.MsgID()))
	return err
}

// plainCopy writes n files of size bytes into dir the way the file target
// does (temp file, fsync, rename), hashing as it goes, and returns the
// seconds it took.
func plainCopy(dir string, n int, size int64) (float64, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := range n {
		f, err := os.CreateTemp(dir, ".copy-*")
		if err != nil {
			return 0, err
		}
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(f, h), &pattern{n: size}); err != nil {
			return 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, err
		}
		if err := f.Close(); err != nil {
			return 0, err
		}
		_ = hex.EncodeToString(h.Sum(nil))
		if err := os.Rename(f.Name(), filepath.Join(dir, strconv.Itoa(i))); err != nil {
			return 0, err
		}
	}
	secs := time.Since(start).Seconds()
	_ = os.RemoveAll(dir)
	return secs, nil
}

func waitFor(ctx context.Context, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
