// Package cli reads a countersign process's settings from its command line
// and environment, as CONTRACT.md's binary table defines them: a flag beats
// its environment variable, which beats the default. Only main calls it;
// everything else receives the resulting Settings.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/countersign/countersign/shared/telemetry"
)

// Settings are the process settings of one countersign binary.
type Settings struct {
	// ConfigPath is the YAML config file.
	ConfigPath string
	// DataDir holds the embedded NATS server's JetStream store.
	DataDir string
	// NATSURL is the NATS to use; empty means start an embedded server.
	NATSURL string
	// NATSListen is where the embedded NATS server listens.
	NATSListen string
	// RedisURL is the Redis for dedupe locks; empty means JetStream KV locks.
	RedisURL string
	// IngressAddr is the provider-facing HTTP listener.
	IngressAddr string
	// AdminAddr is the admin API's HTTP listener.
	AdminAddr string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// MetricsAddr, when set, is one more listener serving /healthz,
	// /readyz and /metrics: what standalone workers (verifier,
	// statesync, reconciler) have instead of an HTTP API. Empty: none.
	MetricsAddr string
	// NATS client credentials and TLS (nats.go): see nats.go.
	NATSAuth NATSAuth
}

// setting is one row of CONTRACT.md's table.
type setting struct {
	flag, env, def, usage string
	field                 func(*Settings) *string
	// listen marks host:port settings, checked for shape.
	listen bool
}

var table = []setting{
	{"config", "COUNTERSIGN_CONFIG", "countersign.yaml", "config file", func(s *Settings) *string { return &s.ConfigPath }, false},
	{"data", "COUNTERSIGN_DATA_DIR", "./data", "data dir (embedded NATS store)", func(s *Settings) *string { return &s.DataDir }, false},
	{"nats-url", "COUNTERSIGN_NATS_URL", "", "NATS to use (empty: embedded server)", func(s *Settings) *string { return &s.NATSURL }, false},
	{"nats-listen", "COUNTERSIGN_NATS_LISTEN", "127.0.0.1:14222", "embedded NATS listen address", func(s *Settings) *string { return &s.NATSListen }, true},
	{"redis-url", "COUNTERSIGN_REDIS_URL", "", "Redis for dedupe locks (empty: JetStream KV locks)", func(s *Settings) *string { return &s.RedisURL }, false},
	{"ingress-addr", "COUNTERSIGN_INGRESS_ADDR", "127.0.0.1:8080", "ingress listen address", func(s *Settings) *string { return &s.IngressAddr }, true},
	{"admin-addr", "COUNTERSIGN_ADMIN_ADDR", "127.0.0.1:8081", "admin listen address", func(s *Settings) *string { return &s.AdminAddr }, true},
	{"log-level", "COUNTERSIGN_LOG_LEVEL", "info", "log level: debug, info, warn or error", func(s *Settings) *string { return &s.LogLevel }, false},
	{"metrics-addr", "COUNTERSIGN_METRICS_ADDR", "", "extra listener for /healthz, /readyz, /metrics (empty: none)", func(s *Settings) *string { return &s.MetricsAddr }, false},
}

// Parse reads flags (args, without the program name) with environment
// fallbacks (getenv, usually os.Getenv; nil means an empty environment)
// and defaults: --config/COUNTERSIGN_CONFIG/countersign.yaml,
// --data/COUNTERSIGN_DATA_DIR/./data, --nats-url/COUNTERSIGN_NATS_URL/"",
// --nats-listen/COUNTERSIGN_NATS_LISTEN/127.0.0.1:14222,
// --redis-url/COUNTERSIGN_REDIS_URL/"",
// --ingress-addr/COUNTERSIGN_INGRESS_ADDR/127.0.0.1:8080,
// --admin-addr/COUNTERSIGN_ADMIN_ADDR/127.0.0.1:8081,
// --log-level/COUNTERSIGN_LOG_LEVEL/info. A flag beats its environment
// variable, which beats the default; an empty variable counts as unset.
// name is the program name, for messages. Errors wrap ErrUsage, or are
// flag.ErrHelp.
func Parse(name string, args []string, getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var s Settings
	fs := newFlagSet(name, &s, getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Settings{}, err
		}
		return Settings{}, fmt.Errorf("%w: %s: %w", ErrUsage, name, err)
	}
	if fs.NArg() > 0 {
		return Settings{}, fmt.Errorf("%w: %s: unexpected argument %q", ErrUsage, name, fs.Arg(0))
	}
	if err := s.validate(); err != nil {
		return Settings{}, fmt.Errorf("%w: %s: %w", ErrUsage, name, err)
	}
	return s, nil
}

// Usage returns the flag summary for name, with each flag's environment
// variable and default, for -h and for usage errors.
func Usage(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [flags]\n\nFlags (each also read from its environment variable):\n", name)
	fs := newFlagSet(name, &Settings{}, func(string) string { return "" })
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

func newFlagSet(name string, s *Settings, getenv func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// main decides what to print; Parse only reports.
	fs.SetOutput(io.Discard)
	for _, st := range table {
		v := st.def
		if e := getenv(st.env); e != "" {
			v = e
		}
		fs.StringVar(st.field(s), st.flag, v, st.usage+" ($"+st.env+")")
	}
	return fs
}

func (s *Settings) validate() error {
	var errs []error
	if s.ConfigPath == "" {
		errs = append(errs, errors.New("--config: must not be empty"))
	}
	if s.DataDir == "" {
		errs = append(errs, errors.New("--data: must not be empty"))
	}
	for _, st := range table {
		if !st.listen {
			continue
		}
		if _, _, err := net.SplitHostPort(*st.field(s)); err != nil {
			errs = append(errs, fmt.Errorf("--%s: want host:port: %w", st.flag, err))
		}
	}
	if s.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(s.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-addr: want host:port: %w", err))
		}
	}
	if _, err := telemetry.ParseLevel(s.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %w", err))
	}
	return errors.Join(errs...)
}
