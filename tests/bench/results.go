package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Results is everything one bench run measured: what bench-results.json
// holds.
type Results struct {
	StartedAt time.Time `json:"started_at"`
	Seconds   float64   `json:"seconds"`
	Machine   Machine   `json:"machine"`
	// Locks is where countersign kept its dedupe locks: "redis" or
	// "jetstream-kv".
	Locks string `json:"locks"`
	// Saturation holds closed-loop runs: countersign per provider, with
	// sync_always, and the ceilings.
	Saturation []LoadResult `json:"saturation"`
	// OpenLoop holds the constant-rate runs against countersign.
	OpenLoop []LoadResult `json:"open_loop"`
	// Pipeline holds, per countersign phase, ledger throughput and
	// end-to-end latency.
	Pipeline []PipelineResult `json:"pipeline"`
	// Reconcile is the reconcile phase (nil when it did not run).
	Reconcile *ReconcileResult `json:"reconcile,omitempty"`
	// Ratios compare countersign's saturation rate to each ceiling's.
	Ratios map[string]float64 `json:"ratios"`
	// Memory is the countersign process's RSS: peak (VmHWM), the largest
	// sampled during load, and after the pipeline drained.
	Memory MemoryResult `json:"memory"`
	// GoBenchmarks are the micro-benchmarks of shared/envelope and
	// shared/providers.
	GoBenchmarks []GoBenchmark `json:"go_benchmarks"`
	// Problems lists phases that failed or did not complete; their figures
	// (if any) are still above.
	Problems []string `json:"problems,omitempty"`
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	// LoadAverage* are /proc/loadavg at start and end: other work on the
	// machine skews every figure, and this says how much there was.
	LoadAverageStart string `json:"load_average_start,omitempty"`
	LoadAverageEnd   string `json:"load_average_end,omitempty"`
}

// loadAverage is the first three fields of /proc/loadavg, or "" off Linux.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// MemoryResult is countersign's memory over the main run.
type MemoryResult struct {
	PeakRSS       int64 `json:"peak_rss_bytes"`
	MaxSampledRSS int64 `json:"max_sampled_rss_bytes"`
	SteadyRSS     int64 `json:"steady_rss_bytes"`
}

// ThisMachine describes the current machine.
func ThisMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
}

// WriteFile writes r as indented JSON to path.
func (r *Results) WriteFile(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: write results: %w", err)
	}
	return nil
}

// Print writes r as readable tables.
func (r *Results) Print(out io.Writer) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "countersign bench — %s, %d CPUs, %s, %.0fs, load average %s → %s, dedupe locks in %s\n\n", r.StartedAt.Format(time.RFC3339),
		r.Machine.CPUs, r.Machine.GoVersion, r.Seconds, r.Machine.LoadAverageStart, r.Machine.LoadAverageEnd, r.Locks)
	fmt.Fprintln(tw, "INGRESS\tmode\tconns\ttarget/s\taccepted/s\taccepted\tnon-2xx\terrors\tmissed\tp50 ms\tp99 ms\tp99.9 ms\tmax ms")
	for _, l := range append(append([]LoadResult{}, r.Saturation...), r.OpenLoop...) {
		target := "-"
		if l.TargetRate > 0 {
			target = fmt.Sprintf("%.0f", l.TargetRate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.0f\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\n",
			l.Name, l.Mode, l.Connections, target, l.Rate, l.Accepted, l.Rejected, l.Errors, l.Missed,
			l.Latency.P50, l.Latency.P99, l.Latency.P999, l.Latency.Max)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "PIPELINE\tacked\tmatched\tmissing\tdrained\tentries/s\te2e p50 ms\te2e p99 ms\te2e max ms\tCPU µs/delivery\tNATS nodes' CPU µs/delivery")
	for _, p := range r.Pipeline {
		nodes := "-"
		if p.ClusterCPUMicrosPerDelivery > 0 {
			nodes = fmt.Sprintf("%.0f", p.ClusterCPUMicrosPerDelivery)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%t\t%.0f\t%.3f\t%.3f\t%.3f\t%.0f\t%s\n",
			p.Phase, p.Acked, p.Matched, p.Missing, p.Drained, p.EntriesPerSecond, p.EndToEnd.P50, p.EndToEnd.P99, p.EndToEnd.Max, p.CPUMicrosPerDelivery, nodes)
	}
	fmt.Fprintln(tw)
	if rc := r.Reconcile; rc != nil {
		fmt.Fprintln(tw, "RECONCILE\tenvelopes\tevents\tpoll s\ttotal s\tevents/s\tconverged\tdrained\tCPU µs/event\tpeak RSS MiB")
		fmt.Fprintf(tw, "dropboxsign, every callback lost\t%d\t%d\t%.1f\t%.1f\t%.0f\t%d/%d\t%t\t%.0f\t%.1f\n\n",
			rc.Envelopes, rc.Events, rc.PollSeconds, rc.Seconds, rc.EventsPerSecond, rc.Converged, rc.Reachable, rc.Drained, rc.CPUMicrosPerEvent, mib(rc.PeakRSS))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Ratios)) {
		fmt.Fprintf(tw, "ratio %s\t%.3f\n", k, r.Ratios[k])
	}
	fmt.Fprintf(tw, "RSS peak (VmHWM)\t%.1f MiB\n", mib(r.Memory.PeakRSS))
	fmt.Fprintf(tw, "RSS max sampled under load\t%.1f MiB\n", mib(r.Memory.MaxSampledRSS))
	fmt.Fprintf(tw, "RSS after drain\t%.1f MiB\n", mib(r.Memory.SteadyRSS))
	fmt.Fprintln(tw)
	if len(r.GoBenchmarks) > 0 {
		fmt.Fprintln(tw, "GO BENCHMARK\tpackage\tns/op\tB/op\tallocs/op")
		for _, b := range r.GoBenchmarks {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%d\t%d\n", b.Name, b.Package, b.NsPerOp, b.BytesPerOp, b.AllocsPerOp)
		}
		fmt.Fprintln(tw)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(tw, "PROBLEM\t%s\n", p)
	}
	_ = tw.Flush()
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
