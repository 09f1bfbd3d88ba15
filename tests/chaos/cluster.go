package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/meshtest"
)

// Cluster is a NATS cluster of natsnode processes on loopback, each with
// its own JetStream store, so that a node can be killed with SIGKILL and
// come back on the same store and ports (what a crashed machine does).
// Separate processes rather than in-process servers: a server shut down in
// process gets to flush and say goodbye to its routes, a killed one does
// not.
type Cluster struct {
	Nodes []*Proc
	// ClientAddrs are the nodes' client host:port, in Nodes order.
	ClientAddrs []string
	// URL lists every node's client URL, comma separated, as nats.Connect
	// and --nats-url take it.
	URL string
}

// StartCluster starts n nodes of natsnode (bin) with stores under dir and
// logs under logDir, and registers their teardown.
func StartCluster(t meshtest.TB, bin, dir, logDir string, n int) *Cluster {
	t.Helper()
	c := &Cluster{}
	routes := make([]string, n)
	listen := make([]string, n)
	for i := range n {
		c.ClientAddrs = append(c.ClientAddrs, meshtest.FreeAddr(t))
		listen[i] = meshtest.FreeAddr(t)
		routes[i] = "nats-route://" + listen[i]
	}
	urls := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		others := append(append([]string(nil), routes[:i]...), routes[i+1:]...)
		p := NewProc("nats-"+name, "nats", bin, filepath.Join(logDir, "nats-"+name+".log"),
			"-name", name, "-listen", c.ClientAddrs[i], "-cluster", "chaos",
			"-cluster-listen", listen[i], "-routes", strings.Join(others, ","),
			"-store", filepath.Join(dir, name))
		c.Nodes = append(c.Nodes, p)
		urls[i] = "nats://" + c.ClientAddrs[i]
	}
	c.URL = strings.Join(urls, ",")
	t.Cleanup(func() {
		for _, p := range c.Nodes {
			p.Stop()
		}
	})
	for _, p := range c.Nodes {
		if err := p.Start(); err != nil {
			t.Fatalf("%v", err)
		}
	}
	return c
}

// WaitNode waits until node i accepts TCP connections.
func (c *Cluster) WaitNode(ctx context.Context, i int) error {
	return waitFor(ctx, 50*time.Millisecond, func() error {
		conn, err := net.DialTimeout("tcp", c.ClientAddrs[i], time.Second)
		if err != nil {
			return err
		}
		return conn.Close()
	})
}

// WaitJetStream waits until the cluster has a JetStream meta leader (an
// account info request succeeds).
func WaitJetStream(ctx context.Context, js jetstream.JetStream) error {
	return waitFor(ctx, 200*time.Millisecond, func() error {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := js.AccountInfo(rctx)
		return err
	})
}

// WaitCurrent waits until every stream has a leader and every replica is
// online and current: only then may another node be killed without
// putting a stream below quorum.
func WaitCurrent(ctx context.Context, js jetstream.JetStream) error {
	return waitFor(ctx, 250*time.Millisecond, func() error {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		l := js.ListStreams(rctx)
		var problems []string
		for info := range l.Info() {
			ci := info.Cluster
			if ci == nil {
				continue
			}
			if ci.Leader == "" {
				problems = append(problems, info.Config.Name+": no leader")
			}
			for _, r := range ci.Replicas {
				if r.Offline || !r.Current {
					problems = append(problems, fmt.Sprintf("%s: replica %s not current", info.Config.Name, r.Name))
				}
			}
		}
		if err := l.Err(); err != nil {
			return err
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	})
}

// waitFor calls f every interval until it returns nil or ctx ends; then it
// returns an error wrapping ErrTimeout and f's last error. The suite needs
// the error back (to record a finding and still write its figures) where
// meshtest.CheckFor would end the test.
func waitFor(ctx context.Context, interval time.Duration, f func() error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrTimeout, err)
		case <-t.C:
		}
	}
}
