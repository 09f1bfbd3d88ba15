package meshtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// S3 is a real S3-compatible server for one test: versitygw with its POSIX
// backend serving a temp dir (each bucket a directory).
type S3 struct {
	// Endpoint is http://127.0.0.1:<port>.
	Endpoint             string
	AccessKey, SecretKey string
	// Dir is the backend's root: Dir/<bucket>/<key>.
	Dir  string
	addr string
	bin  string
	cmd  *exec.Cmd
}

// StartS3 starts versitygw on a free port. The binary is taken from
// COUNTERSIGN_VERSITYGW, PATH, or <repo>/.tools/bin (where
// scripts/ensure-versitygw.sh installs it); when it is nowhere, the test
// fails saying how to install it: S3 suites are never skipped.
func StartS3(t TB) *S3 {
	t.Helper()
	bin := findVersityGW()
	if bin == "" {
		t.Fatalf("meshtest: versitygw not found (run scripts/ensure-versitygw.sh, or set COUNTERSIGN_VERSITYGW)")
	}
	s := &S3{AccessKey: "countersign-test", SecretKey: "countersign-test-secret-key", Dir: t.TempDir(), addr: FreeAddr(t), bin: bin}
	s.Endpoint = "http://" + s.addr
	s.Start(t)
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server (again, after Stop) on the same address and dir.
func (s *S3) Start(t TB) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--port", s.addr, "posix", s.Dir)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=")
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("meshtest: start versitygw: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	t.Fatalf("meshtest: versitygw on %s not ready", s.addr)
}

// Stop kills the server; its data stays in Dir.
func (s *S3) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// MakeBucket creates a bucket (a directory of the POSIX backend).
func (s *S3) MakeBucket(t TB, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(s.Dir, name), 0o750); err != nil {
		t.Fatalf("meshtest: bucket %s: %v", name, err)
	}
}

func findVersityGW() string {
	if p := os.Getenv("COUNTERSIGN_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	// The repository root is where go.work is.
	dir, err := os.Getwd()
	for err == nil {
		if _, serr := os.Stat(filepath.Join(dir, "go.work")); serr == nil {
			p := filepath.Join(dir, ".tools", "bin", "versitygw")
			if _, serr := os.Stat(p); serr == nil {
				return p
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}
