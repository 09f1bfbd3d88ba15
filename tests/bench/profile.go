package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiler takes a CPU profile of countersign while a phase's load runs
// (GET /debug/pprof/profile on its admin listener), so that every figure
// comes with the evidence of what bounds it.
type profiler struct {
	done chan error
}

// startProfile asks for a seconds-long CPU profile written to
// dir/<phase>.pprof; wait returns when it is written.
func startProfile(ctx context.Context, adminURL, dir, phase string, d time.Duration) *profiler {
	p := &profiler{done: make(chan error, 1)}
	go func() { p.done <- fetchProfile(ctx, adminURL, filepath.Join(dir, phase+".pprof"), d) }()
	return p
}

func (p *profiler) wait() error { return <-p.done }

func fetchProfile(ctx context.Context, adminURL, path string, d time.Duration) error {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", adminURL, secs), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchAdminToken)
	resp, err := (&http.Client{Timeout: d + time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("bench: profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: profile: status %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("bench: profile: %w", err)
	}
	return f.Close()
}
