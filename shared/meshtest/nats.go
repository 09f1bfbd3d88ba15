package meshtest

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/natsserver"
)

// NATS is an embedded NATS server for one test, with a client connection.
type NATS struct {
	Server *server.Server
	URL    string
	Dir    string
	Conn   *nats.Conn
	JS     jetstream.JetStream
	listen string
}

// StartNATS starts an embedded NATS server with JetStream on a free port
// and a store in a temp dir, connects a client, and registers cleanup.
func StartNATS(t TB) *NATS {
	t.Helper()
	n := &NATS{Dir: t.TempDir(), listen: FreeAddr(t)}
	n.start(t)
	t.Cleanup(n.Stop)
	return n
}

func (n *NATS) start(t TB) {
	t.Helper()
	n.startServer(t)
	n.connect(t)
}

func (n *NATS) connect(t TB) {
	t.Helper()
	nc, err := nats.Connect(n.URL, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("meshtest: connect %s: %v", n.URL, err)
	}
	n.Conn = nc
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("meshtest: jetstream: %v", err)
	}
	n.JS = js
}

func (n *NATS) startServer(t TB) {
	t.Helper()
	s, err := natsserver.Start(natsserver.Options{Listen: n.listen, StoreDir: n.Dir})
	if err != nil {
		t.Fatalf("meshtest: %v", err)
	}
	n.Server = s
	n.URL = s.ClientURL()
}

// Stop shuts the server down (its store stays, so Restart brings the same
// data back). Safe to call twice.
func (n *NATS) Stop() {
	if n.Conn != nil {
		n.Conn.Close()
		n.Conn = nil
	}
	if n.Server != nil {
		n.Server.Shutdown()
		n.Server.WaitForShutdown()
		n.Server = nil
	}
}

// Restart stops the server and starts it again on the same address with
// the same store. The test's connection (Conn, JS) is kept: it reconnects,
// and Restart waits for it, so subscriptions made on it survive.
func (n *NATS) Restart(t TB) {
	t.Helper()
	if n.Server != nil {
		n.Server.Shutdown()
		n.Server.WaitForShutdown()
		n.Server = nil
	}
	n.startServer(t)
	if n.Conn == nil { // Stop closed it
		n.connect(t)
		return
	}
	CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if !n.Conn.IsConnected() {
			return fmt.Errorf("meshtest: client not reconnected to %s (%s)", n.URL, n.Conn.Status())
		}
		return nil
	})
}

// StreamInfo is a convenience for tests: the named stream's state.
func (n *NATS) StreamInfo(ctx context.Context, name string) (*jetstream.StreamInfo, error) {
	s, err := n.JS.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.Info(ctx)
}
