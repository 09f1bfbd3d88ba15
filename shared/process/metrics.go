package process

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthServer serves /healthz, /readyz and /metrics on addr: the only
// HTTP surface of a standalone worker (verifier, statesync, reconciler),
// so an operator can probe and scrape it like the others.
type healthServer struct {
	addr    string
	handler http.Handler
}

func (e *Env) healthServer() healthServer {
	mux := http.NewServeMux()
	e.Health.Mount(mux, e.Registry)
	return healthServer{addr: e.Settings.MetricsAddr, handler: mux}
}

// Run serves until ctx is done, then shuts down.
func (h healthServer) Run(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", h.addr)
	if err != nil {
		return fmt.Errorf("metrics listener %s: %w", h.addr, err)
	}
	srv := &http.Server{Handler: h.handler, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics listener %s: %w", h.addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
