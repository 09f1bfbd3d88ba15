package bench

import (
	"bufio"
	"context"
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
	"sync"
	"syscall"
	"time"
)

// ServerConfig says how to start the countersign all-in-one.
type ServerConfig struct {
	// Binary is the built all-in-one.
	Binary string
	// Config is the YAML config, written into Dir.
	Config string
	// Dir holds the config and the data dir; the caller removes it.
	Dir string
	// Env is added to the process environment.
	Env []string
	// ReadyTimeout bounds the wait for /readyz (default 30s).
	ReadyTimeout time.Duration
}

// Server is a running countersign process on free loopback ports.
type Server struct {
	IngressURL, AdminURL, NATSURL string
	cmd                           *exec.Cmd
	exited                        chan struct{}
	stderr                        *stderrLog
}

// StartServer writes the config, starts the binary on free loopback ports
// and waits until its admin listener answers /readyz with 200. It returns
// ErrNotReady (with the process's stderr) when that does not happen.
func StartServer(ctx context.Context, c ServerConfig) (*Server, error) {
	cfgPath := filepath.Join(c.Dir, "countersign.yaml")
	if err := os.WriteFile(cfgPath, []byte(c.Config), 0o600); err != nil {
		return nil, fmt.Errorf("bench: write config: %w", err)
	}
	addrs, err := FreeAddrs(3)
	if err != nil {
		return nil, err
	}
	s := &Server{IngressURL: "http://" + addrs[0], AdminURL: "http://" + addrs[1], NATSURL: "nats://" + addrs[2]}
	args := []string{
		"--config", cfgPath, "--data", filepath.Join(c.Dir, "data"),
		"--nats-listen", addrs[2], "--ingress-addr", addrs[0], "--admin-addr", addrs[1],
		"--log-level", "warn",
	}
	return s, s.start(ctx, c.Binary, args, c.Env, c.ReadyTimeout)
}

// StartCeiling runs `self --serve-ceiling name --listen <free addr>
// --secret secret` (the bench program serving a ceiling handler, see
// ServeCeiling) and waits until it answers /readyz.
func StartCeiling(ctx context.Context, self, name, secret string) (*Server, error) {
	addrs, err := FreeAddrs(1)
	if err != nil {
		return nil, err
	}
	s := &Server{IngressURL: "http://" + addrs[0], AdminURL: "http://" + addrs[0]}
	args := []string{"--serve-ceiling", name, "--listen", addrs[0], "--secret", secret}
	return s, s.start(ctx, self, args, nil, 0)
}

func (s *Server) start(ctx context.Context, bin string, args, env []string, timeout time.Duration) error {
	s.exited, s.stderr = make(chan struct{}), &stderrLog{}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("bench: start %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	if err := waitReady(ctx, s.AdminURL+"/readyz", timeout, s.exited); err != nil {
		s.Stop()
		return fmt.Errorf("%w: %s: %w; stderr: %s", ErrNotReady, bin, err, strings.TrimSpace(s.Stderr()))
	}
	return nil
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// Stderr is the start and the end of what the process wrote to stderr.
func (s *Server) Stderr() string { return s.stderr.String() }

// PID is the process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop sends SIGTERM, waits up to 15s for a graceful exit, then kills.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// waitReady polls url until it answers 200, the process exits, or the
// timeout passes.
func waitReady(ctx context.Context, url string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := errors.New("no answer yet")
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("readyz answered %d", resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-exited:
			return errors.New("process exited")
		case <-ctx.Done():
			return fmt.Errorf("after %v: %w", timeout, last)
		case <-tick.C:
		}
	}
}

// FreeAddrs returns n distinct free 127.0.0.1:port addresses. The ports are
// released before return, so another process could take one in between;
// on a bench machine that race is harmless.
func FreeAddrs(n int) ([]string, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	addrs := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("bench: free port: %w", err)
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// Memory is a process's resident set, from /proc/<pid>/status.
type Memory struct {
	// PeakRSS is VmHWM, the high-water mark since start.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// RSS is VmRSS, now.
	RSS int64 `json:"rss_bytes"`
}

// ReadMemory reads VmHWM and VmRSS of pid. It returns ErrNoProcessStatus
// when either is missing.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return Memory{}, fmt.Errorf("%w: %w", ErrNoProcessStatus, err)
	}
	defer func() { _ = f.Close() }()
	return parseStatus(f)
}

func parseStatus(f io.Reader) (Memory, error) {
	var m Memory
	var hwm, rss bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmHWM":
			m.PeakRSS, hwm = kb*1024, true
		case "VmRSS":
			m.RSS, rss = kb*1024, true
		}
	}
	if err := sc.Err(); err != nil {
		return Memory{}, fmt.Errorf("bench: read status: %w", err)
	}
	if !hwm || !rss {
		return Memory{}, ErrNoProcessStatus
	}
	return m, nil
}

// stderrLog keeps the first and the last stderrKeep bytes a process
// writes: the start explains a failed start-up, the end a crash (a panic
// message is followed by every goroutine's stack), without growing over a
// long run.
type stderrLog struct {
	mu         sync.Mutex
	head, tail []byte
}

const stderrKeep = 16 << 10

func (l *stderrLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	if room := stderrKeep - len(l.head); room > 0 {
		k := min(room, len(p))
		l.head = append(l.head, p[:k]...)
		p = p[k:]
	}
	l.tail = append(l.tail, p...)
	if over := len(l.tail) - stderrKeep; over > 0 {
		l.tail = append(l.tail[:0], l.tail[over:]...)
	}
	return n, nil
}

func (l *stderrLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tail) == 0 {
		return string(l.head)
	}
	return string(l.head) + "\n[…]\n" + string(l.tail)
}
