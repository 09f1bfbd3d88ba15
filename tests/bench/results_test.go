package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResultsWriteAndPrint(t *testing.T) {
	r := &Results{
		StartedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seconds: 12, Machine: ThisMachine(),
		Saturation:   []LoadResult{{Name: "countersign/standardwebhooks", Mode: "closed", Connections: 64, Rate: 5000, Accepted: 50000, Status: map[string]uint64{"200": 50000}}},
		OpenLoop:     []LoadResult{{Name: "countersign/standardwebhooks@1000/s", Mode: "open", TargetRate: 1000, Rate: 1000}},
		Pipeline:     []PipelineResult{{Phase: "swsat", Acked: 50000, Matched: 50000, Drained: true, EntriesPerSecond: 3000}},
		Ratios:       map[string]float64{"countersign/standardwebhooks ÷ ceiling/bare": 0.25},
		Memory:       MemoryResult{PeakRSS: 100 << 20},
		GoBenchmarks: []GoBenchmark{{Package: "p", Name: "BenchmarkApply-2", NsPerOp: 1234}},
		Problems:     []string{"something slow"},
	}
	path := filepath.Join(t.TempDir(), "bench-results.json")
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Results
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Saturation[0].Rate != 5000 || back.Pipeline[0].EntriesPerSecond != 3000 || back.Memory.PeakRSS != 100<<20 || len(back.GoBenchmarks) != 1 {
		t.Fatalf("round trip lost figures: %+v", back)
	}
	var out bytes.Buffer
	r.Print(&out)
	for _, want := range []string{"countersign/standardwebhooks", "@1000/s", "swsat", "0.250", "100.0 MiB", "BenchmarkApply-2", "PROBLEM", "something slow"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed table lacks %q:\n%s", want, out.String())
		}
	}
}
