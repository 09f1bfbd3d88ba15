package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
)

// keepLogsDir returns a directory for the processes' logs that outlives
// the test when it fails: a temp dir removed after a passing run, kept —
// and printed — after a failing one, so a failure on a busy machine
// leaves the evidence of why.
func keepLogsDir(t meshtest.TB) string {
	dir, err := os.MkdirTemp("", "countersign-chaos-logs-")
	if err != nil {
		t.Fatalf("chaos: log dir: %v", err)
	}
	t.Cleanup(func() {
		if f, ok := t.(interface{ Failed() bool }); ok && !f.Failed() {
			_ = os.RemoveAll(dir)
			return
		}
		t.Logf("chaos: process logs kept in %s", dir)
	})
	return dir
}

// Tail returns the last n lines of the process's log.
func (p *Proc) Tail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ErrExited is returned by WaitReadyProc when the process exits before it
// is ready.
var ErrExited = errors.New("chaos: process exited before it was ready")

// WaitReadyProc polls base/readyz like WaitReady, but reports at once —
// with the end of its log — when p exits instead of waiting out timeout.
func WaitReadyProc(base string, p *Proc, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	return waitFor(ctx, 100*time.Millisecond, func() error {
		if !p.Running() {
			cancel()
			return fmt.Errorf("%w: %s (log %s):\n%s", ErrExited, p.Name, p.LogPath(), p.Tail(20))
		}
		resp, err := c.Get(base + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s (log %s)", resp.Status, p.LogPath())
		}
		return nil
	})
}
