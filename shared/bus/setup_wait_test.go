package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/natsserver"
)

// TestSetupWaitsForTheClusterToForm: services started beside a 3-node
// cluster of which one node has not joined yet cannot place 3 replicas.
// Setup fails at once; SetupWaiting waits and succeeds once the node is
// up — the chaos suite's first admin replica exited on that error.
func TestSetupWaitsForTheClusterToForm(t *testing.T) {
	const n = 3
	clients, routes := make([]string, n), make([]string, n)
	for i := range n {
		clients[i] = meshtest.FreeAddr(t)
		routes[i] = meshtest.FreeAddr(t)
	}
	start := func(i int) *server.Server {
		var others []string
		for j := range n {
			if j != i {
				others = append(others, "nats-route://"+routes[j])
			}
		}
		s, err := natsserver.Start(natsserver.Options{
			Listen: clients[i], StoreDir: t.TempDir(), ServerName: fmt.Sprintf("n%d", i+1),
			ClusterName: "setup", ClusterListen: routes[i], Routes: others,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
		return s
	}
	start(0)
	start(1)
	nc, err := nats.Connect("nats://" + clients[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	meshtest.CheckFor(t, 30*time.Second, 200*time.Millisecond, func() error { // a meta leader of two
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err
	})
	topo := bus.Topology{Replicas: 3, Partitions: 2}

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	err = bus.Setup(ctx, js, topo)
	cancel()
	if err == nil {
		t.Fatal("Setup placed 3 replicas on 2 nodes")
	}
	t.Logf("Setup with a node missing: %v", err)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		done <- bus.SetupWaiting(ctx, js, topo, quietLogger())
	}()
	select {
	case err := <-done:
		t.Fatalf("SetupWaiting returned before the third node was up: %v", err)
	case <-time.After(time.Second): // it is waiting, as it should; the node comes now
	}
	start(2)
	if err := <-done; err != nil {
		t.Fatalf("SetupWaiting with the cluster formed: %v", err)
	}
	info, err := js.Stream(t.Context(), bus.StreamEnvelopes)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.CachedInfo().Config.Replicas; got != 3 {
		t.Fatalf("ENVELOPES has %d replicas, want 3", got)
	}
}
