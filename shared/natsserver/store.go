package natsserver

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// storeLimit is the JetStream store limit of an embedded server whose
// config sets none: the size of the file system that holds dir — not the
// free space, which is what nats-server would otherwise freeze at start,
// so that space freed later never counted. The disk itself is then the
// limit, and a full disk shows as refused writes (readiness fails) until
// space returns. 0 when the size cannot be read (nats-server's default).
func storeLimit(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0
	}
	return int64(st.Blocks) * int64(st.Bsize)
}

// Supervised is an embedded server that comes back by itself when
// nats-server turns JetStream off for good — what it does when a write
// fails for lack of space (handleOutOfSpace). Re-enabling JetStream in
// place does not restore the streams, so the server is restarted in the
// process on the same port and store: clients reconnect on their own, and
// ingress answers 2xx again once writes succeed, without a process
// restart. Until then /readyz reports the store.
type Supervised struct {
	o         Options
	mu        sync.Mutex
	cur       *server.Server
	restarted []func()
}

// OnRestart registers f to run (in its own goroutine) after each restart
// in place: what lives only in the server's memory — consumers whose
// state is kept there — must be declared again.
func (v *Supervised) OnRestart(f func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.restarted = append(v.restarted, f)
}

// StartSupervised starts a server as Start does and returns its
// supervisor; call Run to watch it and Shutdown to stop it.
func StartSupervised(o Options) (*Supervised, error) {
	s, err := Start(o)
	if err != nil {
		return nil, err
	}
	return &Supervised{o: o, cur: s}, nil
}

// Server returns the server running now.
func (v *Supervised) Server() *server.Server {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cur
}

// InProcessConn connects in-process to the server running now
// (nats.InProcessServer): a connection built with it reconnects to a
// restarted server.
func (v *Supervised) InProcessConn() (net.Conn, error) { return v.Server().InProcessConn() }

// Shutdown stops the server running now and waits for it.
func (v *Supervised) Shutdown() {
	s := v.Server()
	s.Shutdown()
	s.WaitForShutdown()
}

// Run checks every interval, until ctx is done, that JetStream is still
// enabled, and restarts the server when it is not (a full disk). It
// returns nil when ctx is done.
func (v *Supervised) Run(ctx context.Context, every time.Duration, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		s := v.Server()
		if s.JetStreamEnabled() || !s.Running() {
			continue
		}
		log.Warn("natsserver: JetStream was turned off (store out of space?); restarting the embedded server")
		s.Shutdown()
		s.WaitForShutdown()
		n, err := Start(v.o)
		if err != nil {
			log.Warn("natsserver: embedded server restart failed; retrying", "err", err)
			// Keep the stopped server as current: the next tick sees it
			// not running, so try starting again explicitly.
			for ctx.Err() == nil {
				time.Sleep(every)
				if n, err = Start(v.o); err == nil {
					break
				}
			}
			if err != nil {
				return nil
			}
		}
		v.mu.Lock()
		v.cur = n
		hooks := v.restarted
		v.mu.Unlock()
		log.Info("natsserver: embedded server restarted; JetStream accepts writes again")
		for _, f := range hooks {
			go f()
		}
	}
}
