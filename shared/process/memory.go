package process

import (
	"os"
	"runtime/debug"
)

// DefaultMemoryLimit is the all-in-one's soft memory limit when the
// environment sets no GOMEMLIMIT: the garbage collector works harder as
// the heap nears it, so a saturated process stays under the 300 MB RSS
// budget (the limit covers Go's memory; the binary's text and the
// kernel's page cache for the JetStream files come on top) instead of
// letting GOGC=100 double the heap between collections. It is soft: a live
// heap above it is not an error, only costlier in GC.
const DefaultMemoryLimit = 224 << 20

// applyMemoryLimit sets limit as the runtime's soft memory limit unless
// GOMEMLIMIT is set (then the runtime already applied it, "off" included).
// GOGC is left to the runtime (100 unless the environment says
// otherwise). limit 0 changes nothing.
func applyMemoryLimit(limit int64, getenv func(string) string) {
	if limit <= 0 || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(limit)
}

// memoryLimitEnv is os.Getenv, replaced in tests.
var memoryLimitEnv = os.Getenv
