package chaos

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A child that exits before it is ready is reported at once, with the end
// of its log, instead of after the readiness deadline.
func TestWaitReadyProcReportsExitAtOnce(t *testing.T) {
	p := NewProc("boom-1", "boom", "/bin/sh", filepath.Join(t.TempDir(), "boom.log"), "-c", "echo config is broken; exit 3")
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := WaitReadyProc("http://127.0.0.1:1", p, time.Minute)
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "config is broken") {
		t.Fatalf("WaitReadyProc = %v, want ErrExited with the log's end", err)
	}
	if waited := time.Since(start); waited > 30*time.Second {
		t.Fatalf("reported after %s: it waited out the deadline", waited)
	}
}
