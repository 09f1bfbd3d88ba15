package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// GoBenchmark is one line of `go test -bench` output.
type GoBenchmark struct {
	Package     string  `json:"package"`
	Name        string  `json:"name"`
	Iterations  int64   `json:"iterations"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  int64   `json:"bytes_per_op,omitempty"`
	AllocsPerOp int64   `json:"allocs_per_op,omitempty"`
}

// RunGoBenchmarks runs `go test -run ^$ -bench . -benchmem -benchtime
// <benchtime>` over pkgs in dir and parses the results. A failing package
// does not hide the others' numbers: what parsed is returned with the error.
func RunGoBenchmarks(ctx context.Context, dir, benchtime string, pkgs ...string) ([]GoBenchmark, error) {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	res := ParseGoBench(strings.NewReader(string(out)))
	if err != nil {
		return res, fmt.Errorf("bench: go test -bench: %w: %s", err, lastLines(string(out), 10))
	}
	return res, nil
}

// ParseGoBench reads `go test -bench -benchmem` output: "pkg:" lines name
// the package of the Benchmark lines that follow.
func ParseGoBench(r io.Reader) []GoBenchmark {
	var res []GoBenchmark
	pkg := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "ns/op" {
			continue
		}
		n, err1 := strconv.ParseInt(f[1], 10, 64)
		ns, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		b := GoBenchmark{Package: pkg, Name: f[0], Iterations: n, NsPerOp: ns}
		for i := 4; i+1 < len(f); i += 2 {
			v, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "B/op":
				b.BytesPerOp = v
			case "allocs/op":
				b.AllocsPerOp = v
			}
		}
		res = append(res, b)
	}
	return res
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
