package process

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestApplyMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	env := func(v string) func(string) string { return func(string) string { return v } }

	debug.SetMemoryLimit(math.MaxInt64)
	applyMemoryLimit(DefaultMemoryLimit, env(""))
	if got := debug.SetMemoryLimit(-1); got != DefaultMemoryLimit {
		t.Errorf("GOMEMLIMIT unset: limit %d, want %d", got, DefaultMemoryLimit)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	applyMemoryLimit(DefaultMemoryLimit, env("1GiB"))
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: limit changed to %d", got)
	}
	applyMemoryLimit(0, env(""))
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit 0: limit changed to %d", got)
	}
}
