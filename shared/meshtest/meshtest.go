// Package meshtest is countersign's test harness: it starts an embedded
// NATS server with JetStream, a real redis-server on a free port, and any
// set of services in-process, and tears everything down with t.Cleanup.
// The project's own tests use it, and so can integration tests of services
// that consume countersign's envelope subjects.
package meshtest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// TB is the part of testing.TB the harness needs (so benchmarks and
// programs with a fake TB can use it too).
type TB interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

var _ TB = (testing.TB)(nil)

// CheckFor calls f until it returns nil or timeout passes, sleeping
// interval between calls; it fails the test with f's last error. It is how
// tests wait for asynchronous outcomes: never a bare sleep.
func CheckFor(t TB, timeout, interval time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("meshtest: condition not met after %s: %v", timeout, err)
			return
		}
		time.Sleep(interval)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// It is drawn from below the kernel's ephemeral range (ports 32768 and up
// on Linux): a port asked of the kernel with :0 goes back to the pool
// the moment the probe closes, and the next outgoing connection of any
// test process may take it before the service under test binds it — an
// e2e run failed on exactly that ("bind: address already in use"). Below
// the range only another FreePort can pick it, one chance in thousands.
func FreePort(t TB) int {
	t.Helper()
	for range 100 {
		port := freeLow + rand.IntN(freeSpan)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken: draw again
		}
		_ = l.Close()
		return port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("meshtest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePort draws from [freeLow, freeLow+freeSpan): clear of the
// well-known services below and of the ephemeral range above.
const (
	freeLow  = 20000
	freeSpan = 12000
)

// FreeAddr returns 127.0.0.1:<free port>.
func FreeAddr(t TB) string { return fmt.Sprintf("127.0.0.1:%d", FreePort(t)) }
