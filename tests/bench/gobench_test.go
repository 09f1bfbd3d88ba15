package bench

import (
	"strings"
	"testing"
)

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/countersign/countersign/shared/envelope
cpu: AMD EPYC
BenchmarkApply-2          	    2000	      1234 ns/op	     256 B/op	       3 allocs/op
BenchmarkHash/seq1-2      	    2000	     850.5 ns/op
PASS
ok  	github.com/countersign/countersign/shared/envelope	0.012s
pkg: github.com/countersign/countersign/shared/providers/docusign
BenchmarkVerify-2   2000   512 ns/op   12.5 MB/s   64 B/op   1 allocs/op
BenchmarkBroken-2   notanumber ns/op
--- FAIL: BenchmarkX
`
	got := ParseGoBench(strings.NewReader(out))
	want := []GoBenchmark{
		{Package: "github.com/countersign/countersign/shared/envelope", Name: "BenchmarkApply-2", Iterations: 2000, NsPerOp: 1234, BytesPerOp: 256, AllocsPerOp: 3},
		{Package: "github.com/countersign/countersign/shared/envelope", Name: "BenchmarkHash/seq1-2", Iterations: 2000, NsPerOp: 850.5},
		{Package: "github.com/countersign/countersign/shared/providers/docusign", Name: "BenchmarkVerify-2", Iterations: 2000, NsPerOp: 512, BytesPerOp: 64, AllocsPerOp: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d benchmarks, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("benchmark %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a", 5, "a"},
		{"", 1, ""},
	}
	for _, tt := range tests {
		if got := lastLines(tt.in, tt.n); got != tt.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
