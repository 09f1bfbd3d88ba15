package natsserver

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A server that turned JetStream off (as nats-server does when a write
// fails for lack of space) gets it back without a restart, with its
// streams; the store limit is the disk's size, not the free space at start.
func TestSupervisedRestartsWhenJetStreamTurnsOff(t *testing.T) {
	port := freePort(t)
	v, err := StartSupervised(Options{Listen: "127.0.0.1:" + port, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Shutdown()
	s := v.Server()
	if got, disk := s.JetStreamConfig().MaxStore, storeLimit(s.StoreDir()); disk > 0 && got != disk {
		t.Fatalf("MaxStore %d, want the file system's size %d", got, disk)
	}
	nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "s.1", []byte("a")); err != nil {
		t.Fatal(err)
	}
	go v.Run(ctx, 50*time.Millisecond, nil)
	if err := s.ShutdownJetStream(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		_, err := js.Publish(pctx, "s.2", []byte("b"))
		pcancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream not back: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	info, err := js.Stream(ctx, "S")
	if err != nil || info.CachedInfo().State.Msgs != 2 {
		t.Fatalf("stream after re-enable: %v, %+v", err, info)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}
