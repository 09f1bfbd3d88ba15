// Command sandbox plays e-signature providers against a running
// countersign: it generates envelopes, fires their callbacks at the
// ingress with the chosen faults and prints the delivery report as JSON;
// with -serve-api it also serves the providers' API subset (the truth) on
// that address until interrupted, for countersign's confirmation,
// reconciliation and downloads.
//
//	sandbox -target http://127.0.0.1:8080 -tenant acme -n 200 -drop 0.05 -dup 0.1 -reorder
//	sandbox -serve-api 127.0.0.1:9090 -n 50            # API only
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/countersign/countersign/tests/sandbox"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

// options are the command line beyond sandbox.Config.
type options struct {
	n        int
	kinds    string
	outages  string
	serveAPI string
	truthOut string
}

func parseFlags() (sandbox.Config, options, error) {
	var c sandbox.Config
	var o options
	// Secret defaults are the dev values of the demo config, marked as such.
	flag.StringVar(&c.Target, "target", "", "countersign ingress base URL (empty: do not fire)")
	flag.StringVar(&c.Tenant, "tenant", "acme", "tenant id")
	flag.StringVar(&c.Secrets.StandardWebhooks, "whsec", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "Standard Webhooks secret (dev default)")
	flag.StringVar(&c.Secrets.DocuSignKey, "docusign-key", "docusign-test-key", "DocuSign Connect HMAC key (dev default)")
	flag.StringVar(&c.Secrets.DropboxAPIKey, "dropbox-key", "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782", "Dropbox Sign API key (dev default)")
	flag.StringVar(&c.Secrets.AdobeClientID, "adobe-client", "adobe-client-1", "Adobe Sign client id (dev default)")
	flag.StringVar(&c.Secrets.ESignAnyWhereToken, "esaw-token", "esaw-token-1", "eSignAnyWhere callback token (dev default)")
	flag.StringVar(&c.Secrets.PandaDocKey, "pandadoc-key", "pandadoc-dev-shared-key", "PandaDoc shared key of the hmac provider named pandadoc (dev default)")
	flag.IntVar(&o.n, "n", 100, "envelopes to generate")
	flag.StringVar(&o.kinds, "kinds", strings.Join(sandbox.Kinds, ","), "provider kinds, comma separated")
	flag.Int64Var(&c.Seed, "seed", 1, "random seed (same seed, same envelopes and faults)")
	flag.Float64Var(&c.DropPct, "drop", 0, "share of callbacks lost")
	flag.Float64Var(&c.DuplicatePct, "dup", 0, "share of callbacks delivered twice")
	flag.Float64Var(&c.LostAckPct, "lost-ack", 0, "share of acknowledged attempts redelivered anyway")
	flag.BoolVar(&c.Reorder, "reorder", false, "shuffle each envelope's callbacks")
	flag.DurationVar(&c.MaxDelay, "max-delay", 0, "random pause before each callback, at most")
	flag.IntVar(&c.Redeliveries, "redeliveries", 10, "retries of a failed delivery (0-30)")
	flag.DurationVar(&c.RetryBase, "retry-base", sandbox.DefaultRetryBase, "first pause between attempts (doubles)")
	flag.DurationVar(&c.RetryMax, "retry-max", sandbox.DefaultRetryMax, "longest pause between attempts")
	flag.Float64Var(&c.ForgedPct, "forged", 0, "share of callbacks followed by a forged delivery")
	flag.StringVar(&o.outages, "outages", "", "outage windows from the start, e.g. 5s-10s,30s-32s")
	flag.IntVar(&c.Concurrency, "concurrency", sandbox.DefaultConcurrency, "envelopes delivered at once")
	flag.DurationVar(&c.Timeout, "timeout", sandbox.DefaultTimeout, "timeout of one HTTP attempt")
	flag.StringVar(&o.serveAPI, "serve-api", "", "serve the provider API subset on this address until interrupted")
	flag.StringVar(&c.API.DocuSignToken, "api-docusign-token", "", "bearer token the DocuSign API requires (empty: none)")
	flag.StringVar(&c.API.AdobeToken, "api-adobe-token", "", "bearer token the Adobe Sign API requires (empty: none)")
	flag.StringVar(&c.API.ESignAnyWhereToken, "api-esaw-token", "", "apiToken the eSignAnyWhere API requires (empty: none)")
	flag.StringVar(&c.API.DocuSignAccount, "api-docusign-account", sandbox.DefaultDocuSignAcct, "DocuSign account id")
	flag.Float64Var(&c.API.Rate429Pct, "api-429", 0, "share of API requests answered 429")
	flag.Float64Var(&c.API.Rate5xxPct, "api-5xx", 0, "share of API requests answered 503")
	flag.StringVar(&o.truthOut, "truth-out", "", "write the truth (expected state per envelope) as JSON to this file")
	flag.Parse()
	ws, err := parseWindows(o.outages)
	c.OutageWindows = ws
	if c.Target == "" && o.serveAPI == "" {
		err = errors.Join(err, errors.New("nothing to do: give -target, -serve-api or both"))
	}
	return c, o, err
}

// parseWindows reads "5s-10s,30s-32s".
func parseWindows(v string) ([]sandbox.Window, error) {
	var out []sandbox.Window
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' }) {
		a, b, ok := strings.Cut(part, "-")
		start, err1 := time.ParseDuration(strings.TrimSpace(a))
		end, err2 := time.ParseDuration(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("outage window %q: want START-END durations", part)
		}
		out = append(out, sandbox.Window{Start: start, End: end})
	}
	return out, nil
}

func run() error {
	cfg, o, err := parseFlags()
	if err != nil {
		return err
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		return err
	}
	defer sb.Close()
	envs := sandbox.Generate(rand.New(rand.NewSource(cfg.Seed)), o.n, strings.Split(o.kinds, ","), cfg.Tenant)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var srv *http.Server
	if o.serveAPI != "" {
		ln, err := net.Listen("tcp", o.serveAPI)
		if err != nil {
			return fmt.Errorf("serve api: %w", err)
		}
		srv = &http.Server{Handler: sb.APIHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		fmt.Fprintf(os.Stderr, "sandbox: provider API on http://%s\n", ln.Addr())
		if cfg.Target == "" {
			if err := sb.Settle(envs); err != nil {
				return err
			}
		}
	}
	if cfg.Target != "" {
		rep, err := sb.Fire(ctx, envs)
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(rep); encErr != nil {
			return fmt.Errorf("print report: %w", encErr)
		}
		if err != nil {
			return fmt.Errorf("fire: %w", err)
		}
	}
	if o.truthOut != "" {
		b, err := json.MarshalIndent(sb.Truth(), "", "  ")
		if err != nil {
			return fmt.Errorf("truth: %w", err)
		}
		if err := os.WriteFile(o.truthOut, b, 0o644); err != nil {
			return fmt.Errorf("truth: %w", err)
		}
	}
	if srv != nil {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
	return nil
}
