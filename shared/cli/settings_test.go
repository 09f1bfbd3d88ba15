package cli

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	defaults := Settings{
		ConfigPath:  "countersign.yaml",
		DataDir:     "./data",
		NATSListen:  "127.0.0.1:14222",
		IngressAddr: "127.0.0.1:8080",
		AdminAddr:   "127.0.0.1:8081",
		LogLevel:    "info",
	}
	with := func(f func(*Settings)) Settings {
		s := defaults
		f(&s)
		return s
	}
	fullEnv := map[string]string{
		"COUNTERSIGN_CONFIG":       "/etc/cs.yaml",
		"COUNTERSIGN_DATA_DIR":     "/var/lib/cs",
		"COUNTERSIGN_NATS_URL":     "nats://nats:4222",
		"COUNTERSIGN_NATS_LISTEN":  "0.0.0.0:4222",
		"COUNTERSIGN_REDIS_URL":    "redis://redis:6379/0",
		"COUNTERSIGN_INGRESS_ADDR": ":80",
		"COUNTERSIGN_ADMIN_ADDR":   ":81",
		"COUNTERSIGN_LOG_LEVEL":    "debug",
	}
	fromEnv := Settings{
		ConfigPath: "/etc/cs.yaml", DataDir: "/var/lib/cs", NATSURL: "nats://nats:4222",
		NATSListen: "0.0.0.0:4222", RedisURL: "redis://redis:6379/0", IngressAddr: ":80",
		AdminAddr: ":81", LogLevel: "debug",
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Settings
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{name: "env overrides defaults", env: fullEnv, want: fromEnv},
		{name: "empty env counts as unset", env: map[string]string{"COUNTERSIGN_LOG_LEVEL": ""}, want: defaults},
		{
			name: "flags override env",
			args: []string{"--config", "a.yaml", "--data=/d", "--nats-url", "nats://x:1", "--nats-listen", "127.0.0.1:0",
				"--redis-url", "redis://r", "--ingress-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--log-level", "warn"},
			env: fullEnv,
			want: Settings{ConfigPath: "a.yaml", DataDir: "/d", NATSURL: "nats://x:1", NATSListen: "127.0.0.1:0",
				RedisURL: "redis://r", IngressAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", LogLevel: "warn"},
		},
		{name: "single dash flags", args: []string{"-config", "b.yaml"}, want: with(func(s *Settings) { s.ConfigPath = "b.yaml" })},
		{name: "metrics listener", args: []string{"--metrics-addr", "127.0.0.1:9100"}, want: with(func(s *Settings) { s.MetricsAddr = "127.0.0.1:9100" })},
		{name: "metrics listener from env", env: map[string]string{"COUNTERSIGN_METRICS_ADDR": ":9100"}, want: with(func(s *Settings) { s.MetricsAddr = ":9100" })},
		{name: "bad metrics listener", args: []string{"--metrics-addr", "9100"}, wantErr: "--metrics-addr"},
		{name: "empty flag beats env", args: []string{"--nats-url="}, env: fullEnv, want: with(func(s *Settings) {
			*s = fromEnv
			s.NATSURL = ""
		})},
		{name: "unknown flag", args: []string{"--bogus"}, wantErr: "flag provided but not defined: -bogus"},
		{name: "stray argument", args: []string{"serve"}, wantErr: `unexpected argument "serve"`},
		{name: "bad log level from env", env: map[string]string{"COUNTERSIGN_LOG_LEVEL": "loud"}, wantErr: `--log-level: telemetry: unknown log level "loud"`},
		{name: "bad listen address", args: []string{"--ingress-addr", "8080"}, wantErr: "--ingress-addr: want host:port"},
		{name: "empty config path", args: []string{"--config="}, wantErr: "--config: must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			got, err := Parse("countersign", tt.args, getenv)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "countersign") {
					t.Fatalf("Parse error = %v, want ErrUsage with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseNilGetenvAndHelp(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr error
	}{
		{"nil getenv uses defaults", nil, nil},
		{"help", []string{"-h"}, flag.ErrHelp},
		{"long help", []string{"--help"}, flag.ErrHelp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("countersign", tt.args, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && s.LogLevel != "info" {
				t.Fatalf("defaults not applied: %+v", s)
			}
		})
	}
}

func TestUsageNamesEveryFlagAndVariable(t *testing.T) {
	u := Usage("countersign")
	for _, st := range table {
		if !strings.Contains(u, "-"+st.flag) || !strings.Contains(u, "$"+st.env) {
			t.Fatalf("usage lacks %s/%s:\n%s", st.flag, st.env, u)
		}
	}
}
