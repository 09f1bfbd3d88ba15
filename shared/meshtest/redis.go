package meshtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a redis-server process for one test.
type Redis struct {
	URL    string
	Client *redis.Client
	port   int
	dir    string
	cmd    *exec.Cmd
}

// StartRedis starts a real redis-server on a free port with its files in a
// temp dir. When COUNTERSIGN_REDIS_URL is set, that server is used instead
// (and nothing is started). A missing redis-server binary fails the test
// with how to install it: the suites that need Redis are never skipped.
func StartRedis(t TB) *Redis {
	t.Helper()
	if url := os.Getenv("COUNTERSIGN_REDIS_URL"); url != "" {
		r := &Redis{URL: url}
		r.connect(t)
		t.Cleanup(func() { r.Client.Close() })
		return r
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("meshtest: redis-server not found on PATH (apt-get install redis-server, or set COUNTERSIGN_REDIS_URL): %v", err)
	}
	r := &Redis{port: FreePort(t), dir: t.TempDir()}
	r.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", r.port)
	r.start(t)
	r.connect(t)
	t.Cleanup(func() {
		r.Client.Close()
		r.Stop()
	})
	return r
}

func (r *Redis) start(t TB) {
	t.Helper()
	r.cmd = exec.Command("redis-server",
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--dir", r.dir, "--save", "", "--appendonly", "no", "--protected-mode", "no")
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("meshtest: start redis-server: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer c.Close()
	for ctx.Err() == nil {
		if c.Ping(ctx).Err() == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("meshtest: redis-server on port %d not ready", r.port)
}

func (r *Redis) connect(t TB) {
	t.Helper()
	opt, err := redis.ParseURL(r.URL)
	if err != nil {
		t.Fatalf("meshtest: redis url %q: %v", r.URL, err)
	}
	r.Client = redis.NewClient(opt)
}

// Stop kills the redis-server (only one this harness started).
func (r *Redis) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// Restart kills redis-server and starts it again on the same port (its
// data is gone: it keeps nothing on disk, like a crashed cache).
func (r *Redis) Restart(t TB) {
	t.Helper()
	if r.port == 0 {
		t.Fatalf("meshtest: cannot restart an external Redis (COUNTERSIGN_REDIS_URL)")
	}
	r.Stop()
	r.start(t)
}
