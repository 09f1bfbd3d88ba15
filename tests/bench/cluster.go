package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ClusterNodes is the size of the cluster the R3 phase runs on.
const ClusterNodes = 3

// natsCluster is a NATS cluster of natsnode processes on loopback, each
// with its own JetStream store, for the phases that run countersign with
// every stream and bucket at three replicas (streams.replicas: 3): a
// message is acknowledged once two of the three nodes hold it.
type natsCluster struct {
	procs []*exec.Cmd
	// URL lists the nodes' client URLs, comma separated (--nats-url).
	URL string
	dir string
}

// startCluster starts n natsnode processes (bin) and waits until the
// cluster has a JetStream meta leader.
func startCluster(ctx context.Context, bin string, n int) (*natsCluster, error) {
	dir, err := os.MkdirTemp("", "countersign-bench-cluster-")
	if err != nil {
		return nil, fmt.Errorf("bench: cluster dir: %w", err)
	}
	c := &natsCluster{dir: dir}
	addrs, err := FreeAddrs(2 * n)
	if err != nil {
		c.stop()
		return nil, err
	}
	client, route := addrs[:n], addrs[n:]
	var urls []string
	for i := range n {
		var others []string
		for j := range n {
			if j != i {
				others = append(others, "nats-route://"+route[j])
			}
		}
		cmd := exec.Command(bin, "-name", fmt.Sprintf("n%d", i+1), "-listen", client[i], "-cluster", "bench",
			"-cluster-listen", route[i], "-routes", strings.Join(others, ","), "-store", filepath.Join(dir, fmt.Sprintf("n%d", i+1)))
		if err := cmd.Start(); err != nil {
			c.stop()
			return nil, fmt.Errorf("bench: start %s: %w", bin, err)
		}
		c.procs = append(c.procs, cmd)
		urls = append(urls, "nats://"+client[i])
	}
	c.URL = strings.Join(urls, ",")
	if err := c.waitJetStream(ctx, time.Minute); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// waitJetStream polls until an account info request succeeds.
func (c *natsCluster) waitJetStream(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = c.ping(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("bench: cluster has no JetStream after %v: %w", timeout, last)
}

func (c *natsCluster) ping(ctx context.Context) error {
	for _, u := range strings.Split(c.URL, ",") {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "nats://"), time.Second)
		if err != nil {
			return err
		}
		_ = conn.Close()
	}
	nc, err := nats.Connect(c.URL)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = js.AccountInfo(rctx)
	return err
}

// cpu is the nodes' CPU time so far.
func (c *natsCluster) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, p := range c.procs {
		d, err := ReadCPU(p.Process.Pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// stop ends every node and removes the stores.
func (c *natsCluster) stop() {
	for _, p := range c.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range c.procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	_ = os.RemoveAll(c.dir)
}
