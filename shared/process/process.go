// Package process is the composition root every countersign binary shares:
// settings → config → logger → NATS (embedded or external) → JetStream
// topology → dedupe locks → the service(s) → run until SIGINT/SIGTERM →
// graceful shutdown. Mains stay a few lines long; services stay free of
// flags and environment.
package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/cli"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/dedupe"
	"github.com/countersign/countersign/shared/natsserver"
	// The registry tells config the provider kinds it checks providers
	// against (config.SetProviderKinds); every binary loads config here.
	_ "github.com/countersign/countersign/shared/providers/registry"
	"github.com/countersign/countersign/shared/telemetry"
)

// LockTTL bounds how long a crashed worker's dedupe lock blocks others.
const LockTTL = 30 * time.Second

// Runner is a built service (or set of services).
type Runner interface {
	Run(ctx context.Context) error
}

// Env is what a service is built from.
type Env struct {
	Name     string
	Settings cli.Settings
	File     *config.File
	Logger   *slog.Logger
	NC       *nats.Conn
	JS       jetstream.JetStream
	Topology bus.Topology
	Locker   dedupe.Locker
	Registry *prometheus.Registry
	Health   *telemetry.Health
	// WorkerMetrics are the bus worker metrics, shared by every worker of
	// the process.
	WorkerMetrics *bus.Metrics
	// Embedded is the embedded NATS server, nil when an external one is used.
	Embedded *server.Server
	closers  []func()
	// reloads holds what SIGHUP reloads (reload.go).
	reloads reloads
}

// Options says how Start builds the environment.
type Options struct {
	// AllowEmbedded starts an embedded NATS server when no URL is set
	// (the all-in-one); standalone services need a NATS URL.
	AllowEmbedded bool
	// NeedLocker builds the dedupe locker (Redis, else JetStream KV).
	NeedLocker bool
	// MemoryLimit is the soft memory limit Main sets when GOMEMLIMIT is
	// unset (0: the runtime's default, none); see DefaultMemoryLimit.
	MemoryLimit int64
}

// Main is the whole of a binary's main: it returns the exit code.
func Main(name string, opts Options, build BuildFunc) int {
	settings, err := cli.Parse(name, os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 2
	}
	applyMemoryLimit(opts.MemoryLimit, memoryLimitEnv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env, err := Start(ctx, name, settings, opts, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	defer env.Close()
	r, err := build(ctx, env)
	if err != nil {
		env.Logger.Error("start failed", "error", err.Error())
		return 1
	}
	if env.Settings.MetricsAddr != "" {
		r = Group{r, env.healthServer()}
	}
	env.watchReloads(ctx)
	env.Logger.Info("started", "nats", env.NC.ConnectedUrlRedacted())
	if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		env.Logger.Error("stopped with error", "error", err.Error())
		return 1
	}
	env.Logger.Info("stopped")
	return 0
}

// Start builds an Env from settings. Close releases it.
func Start(ctx context.Context, name string, s cli.Settings, opts Options, logOut io.Writer) (_ *Env, err error) {
	file, err := config.Load(s.ConfigPath)
	if err != nil {
		return nil, err
	}
	logger, err := telemetry.NewLogger(logOut, s.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	// env is not the named result: every failure path returns nil, and
	// what was built so far must still be closed.
	env := &Env{Name: name, Settings: s, File: file, Logger: logger}
	defer func() {
		if err != nil {
			env.Close()
		}
	}()
	url := s.NATSURL
	var (
		connOpts []nats.Option
		sup      *natsserver.Supervised
	)
	if url == "" {
		if !opts.AllowEmbedded {
			return nil, errors.New("--nats-url (COUNTERSIGN_NATS_URL) is required for a standalone service")
		}
		sup, err = natsserver.StartSupervised(natsserver.Options{
			Listen:        s.NATSListen,
			StoreDir:      filepath.Join(s.DataDir, "nats"),
			SyncAlways:    file.Streams.SyncAlways,
			EncryptionKey: file.Streams.EncryptionKey.Value(),
			MaxStore:      file.Streams.MaxStore,
			ServerName:    "countersign",
		})
		if err != nil {
			return nil, err
		}
		env.Embedded = sup.Server()
		// A full disk makes nats-server turn JetStream off for good; the
		// supervisor restarts the embedded server in place (clients
		// reconnect) so writes resume once space returns.
		supCtx, stopSup := context.WithCancel(context.WithoutCancel(ctx))
		supDone := make(chan struct{})
		go func() {
			defer close(supDone)
			_ = sup.Run(supCtx, 5*time.Second, logger.With("component", "natsserver"))
		}()
		env.closers = append(env.closers, func() { stopSup(); <-supDone; sup.Shutdown() })
		url = sup.Server().ClientURL()
		// The all-in-one's own connection is in-process: publishes, acks,
		// KV reads and direct gets cross a pipe in memory instead of
		// loopback TCP (a syscall pair per round trip). The TCP listener
		// stays for the CLI, subscribers and other processes.
		// The supervisor hands out the server running now, so the
		// connection reconnects to a restarted one.
		connOpts = append(connOpts, nats.InProcessServer(sup))
	}
	if s.NATSURL != "" && !file.Streams.EncryptionKey.IsZero() {
		logger.Warn("streams.encryption_key applies to the embedded NATS server only; encrypt the external server's store in its own config (jetstream.key)")
	}
	natsOpts, err := NATSOptions(s.NATSAuth)
	if err != nil {
		return nil, err
	}
	if s.NATSURL == "" {
		natsOpts = connOpts // the embedded server has no users; its own connection is in-process
	}
	nc, closeNC, err := Connect(url, name, natsOpts...)
	if err != nil {
		return nil, err
	}
	env.NC = nc
	env.closers = append(env.closers, closeNC)
	if err := Attach(ctx, env, opts); err != nil {
		return nil, err
	}
	if sup != nil {
		// A server restarted in place lost the consumers it kept in
		// memory (Topology.StateAckInMemory): declare them again.
		sup.OnRestart(func() { env.setupAgain(ctx) })
	}
	return env, nil
}

// setupPause spaces out Setup attempts after a restart in place, while
// the connection comes back.
const setupPause = time.Second

// setupAgain runs bus.Setup until it succeeds or ctx is done.
func (e *Env) setupAgain(ctx context.Context) {
	for ctx.Err() == nil {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := bus.Setup(sctx, e.JS, e.Topology)
		cancel()
		if err == nil {
			e.Logger.Info("streams and consumers declared again after the embedded server's restart")
			return
		}
		e.Logger.Warn("declaring streams and consumers after the embedded server's restart", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(setupPause):
		}
	}
}

// Attach completes an Env whose Name, Settings, File, Logger and NC are
// set: JetStream, the stream topology (created or updated), readiness
// checks, worker metrics and, if asked, the dedupe locker. The harness
// uses it to build services over its own NATS and Redis.
func Attach(ctx context.Context, env *Env, opts Options) error {
	if env.Registry == nil {
		env.Registry = telemetry.NewRegistry()
	}
	if env.Health == nil {
		env.Health = telemetry.NewHealth()
	}
	env.Topology = TopologyOf(env.File)
	// The embedded server starts and stops with this process, which runs
	// Setup at every start: its STATE consumers need no state file.
	env.Topology.StateAckInMemory = env.Embedded != nil
	nc := env.NC
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(16384))
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	// Guarded: no publish can send a subject that makes the server close
	// the connection (bus.MaxSubjectBytes).
	js = bus.Guard(js)
	env.JS = js
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Services may start beside a cluster that is still forming (a node
	// not joined yet cannot host a replica): wait for it, within the 30 s.
	if err := bus.SetupWaiting(setupCtx, js, env.Topology, env.Logger); err != nil {
		return fmt.Errorf("set up streams: %w", err)
	}
	env.WorkerMetrics = bus.NewMetrics(env.Registry)
	if env.reloads.metrics, err = newReloadMetrics(env.Registry); err != nil {
		return err
	}
	if err := env.Registry.Register(bus.NewBacklogCollector(js, bus.TopologyConsumers(env.Topology))); err != nil {
		return fmt.Errorf("backlog metrics: %w", err)
	}
	env.Health.AddReadiness("nats", func(context.Context) error {
		if !nc.IsConnected() {
			return errors.New("not connected")
		}
		return nil
	})
	env.Health.AddReadiness("streams", func(ctx context.Context) error {
		_, err := js.Stream(ctx, bus.StreamRaw)
		return err
	})
	if opts.NeedLocker {
		return env.buildLocker(ctx)
	}
	return nil
}

func (e *Env) buildLocker(ctx context.Context) error {
	if e.Settings.RedisURL == "" {
		l, err := dedupe.NewKV(ctx, e.JS, bus.BucketLocks, LockTTL, e.Topology.Replicas)
		if err != nil {
			return fmt.Errorf("dedupe locks (JetStream KV): %w", err)
		}
		e.Locker = l
		return nil
	}
	opt, err := redis.ParseURL(e.Settings.RedisURL)
	if err != nil {
		return fmt.Errorf("--redis-url: %w", err)
	}
	rc := redis.NewClient(opt)
	e.closers = append(e.closers, func() { _ = rc.Close() })
	e.Locker = dedupe.NewRedis(rc)
	e.Health.AddReadiness("redis", func(ctx context.Context) error { return rc.Ping(ctx).Err() })
	return nil
}

// Connect connects to NATS the way every countersign process does:
// reconnecting forever, buffering nothing while disconnected (ingress must
// see the failure at once and answer 503 rather than hold a request it
// cannot persist). The returned func drains the connection and waits for
// it to close. extra options come last (nats.InProcessServer for the
// embedded server).
func Connect(url, name string, extra ...nats.Option) (*nats.Conn, func(), error) {
	closed := make(chan struct{})
	opts := append([]nats.Option{nats.Name("countersign-" + name),
		nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) })}, extra...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS %s: %w", url, err)
	}
	return nc, func() {
		_ = nc.Drain()
		select {
		case <-closed:
		case <-time.After(30 * time.Second):
		}
	}, nil
}

// AddCloser registers f to run at Close (last registered, first run).
func (e *Env) AddCloser(f func()) { e.closers = append(e.closers, f) }

// Close releases everything Start built, last first.
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// TopologyOf maps the config's streams section to the bus topology.
func TopologyOf(f *config.File) bus.Topology {
	return bus.Topology{
		Replicas:     f.Streams.Replicas,
		RawMaxAge:    f.Streams.RawMaxAge.D(),
		DLQMaxAge:    f.Streams.DLQMaxAge.D(),
		LedgerMaxAge: f.Streams.LedgerMaxAge.D(),
		MaxDeliver:   f.Streams.MaxDeliver,
		Partitions:   f.Streams.Partitions,
		InFlight:     f.Streams.InFlight,
	}
}
