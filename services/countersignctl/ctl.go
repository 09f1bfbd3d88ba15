// Package countersignctl is the operator's command line for countersign's
// admin API (CONTRACT.md, "CLI"):
//
//	countersignctl [--url URL] [--token TOKEN] [--json] <command>
//
// It is a client only: it talks HTTP to the admin listener with a bearer
// token and depends on no service. `ledger verify` re-checks the chain
// here with shared/envelope, whatever the server says about it.
package countersignctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Exit codes (CONTRACT.md): scripts branch on them.
const (
	ExitOK = 0
	// ExitFailure: the request failed or the server said no.
	ExitFailure = 1
	// ExitUsage: bad flags, a missing argument, an unknown command.
	ExitUsage = 2
	// ExitUnverified: the ledger does not verify.
	ExitUnverified = 3
)

// Environment variables standing in for --url, --token and the TLS flags.
const (
	EnvURL    = "COUNTERSIGN_ADMIN_URL"
	EnvToken  = "COUNTERSIGN_ADMIN_TOKEN"
	EnvCACert = "COUNTERSIGN_ADMIN_CACERT"
	EnvCert   = "COUNTERSIGN_ADMIN_CERT"
	EnvKey    = "COUNTERSIGN_ADMIN_KEY"
)

// IO is what a run reads and writes besides its arguments.
type IO struct {
	Stdout, Stderr io.Writer
	// Getenv reads the environment (os.Getenv); nil means an empty one.
	Getenv func(string) string
	// HTTP is the client for the admin API (default: a 60 s timeout, with
	// the TLS settings of the flags).
	HTTP *http.Client
}

// globals are the flags every command accepts, before or after it.
type globals struct {
	url, token string
	json       bool
	// cacert trusts the admin listener's CA; cert and key are the client
	// certificate an mTLS admin listener (admin.tls.client_ca_file) asks for.
	cacert, cert, key string
}

// command is one leaf of the command tree.
type command struct {
	// path is the words naming it ("ledger verify"), args its positional
	// arguments for the usage text.
	path, args, help string
	// flags adds the command's own flags; nil for none.
	flags func(fs *flag.FlagSet, o *opts)
	// nargs is the number of positional arguments it takes; maxArgs, if
	// larger, allows up to that many.
	nargs, maxArgs int
	run            func(ctx context.Context, c *session, args []string, o *opts) error
}

// opts hold every command's own flags (each command reads its own).
type opts struct {
	tenant, service, class string
	since, until           string
	ids                    string
	limit                  int
	yes, force             bool
	state, provider, q     string
}

var commands = []command{
	{path: "envelope show", args: "<tenant> <id>", nargs: 2, help: "an envelope's state and recipients", run: envelopeShow},
	{path: "ledger verify", args: "<tenant> <id>", nargs: 2, help: "fetch the ledger and re-check every hash and seq here (exit 3 if it does not verify)", run: ledgerVerify},
	{path: "dlq list", args: "", nargs: 0, help: "dead letters, newest first", flags: dlqFlags, run: dlqList},
	{path: "replay", args: "(--ids ID,… | --since T [--until T])", nargs: 0, help: "replay dead letters to their original subject (a dry run unless --yes)", flags: replayFlags, run: replay},
	{path: "reconcile", args: "<tenant> [<provider>]", nargs: 1, maxArgs: 2, help: "with a provider: run a reconciliation window against its API now; without: each provider's cursor, last round and lease", flags: reconcileFlags, run: reconcile},
	{path: "export show", args: "<tenant> <id>", nargs: 2, help: "an envelope's DMS export: state, location, artefacts", run: exportShow},
	{path: "export run", args: "<tenant> <id>", nargs: 2, help: "export the envelope again (idempotent: same keys, same bytes)", run: exportRun},
	{path: "notify resume", args: "<tenant>", nargs: 1, help: "resume a tenant's paused reminders", run: notifyResume},
	// Beyond CONTRACT.md's list (README documents them).
	{path: "envelope list", args: "<tenant>", nargs: 1, help: "a tenant's envelopes, most recently updated first", flags: listFlags, run: envelopeList},
	{path: "notify status", args: "<tenant>", nargs: 1, help: "the notifier's state for a tenant: paused or not, rates, pending timers", run: notifyStatus},
	{path: "audit", args: "", nargs: 0, help: "who did what: the operate actions of the audit trail, newest first", flags: auditFlags, run: auditList},
}

// Run runs one command line (args without the program name) and returns
// its exit code; messages go to stdio.Stderr, results to stdio.Stdout.
func Run(ctx context.Context, args []string, stdio IO) int {
	if stdio.Getenv == nil {
		stdio.Getenv = func(string) string { return "" }
	}
	err := run(ctx, args, stdio)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdio.Stdout, usage())
		return ExitOK
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(stdio.Stderr, "countersignctl: %v\n(countersignctl help lists the commands and their flags)\n", err)
		return ExitUsage
	case errors.Is(err, ErrNotVerified):
		fmt.Fprintf(stdio.Stderr, "countersignctl: %v\n", err)
		return ExitUnverified
	default:
		fmt.Fprintf(stdio.Stderr, "countersignctl: %v\n", err)
		return ExitFailure
	}
}

func run(ctx context.Context, args []string, stdio IO) error {
	g := globals{url: stdio.Getenv(EnvURL), token: stdio.Getenv(EnvToken),
		cacert: stdio.Getenv(EnvCACert), cert: stdio.Getenv(EnvCert), key: stdio.Getenv(EnvKey)}
	top := newFlagSet("countersignctl", &g)
	if err := top.Parse(args); err != nil {
		return flagError(err)
	}
	rest := top.Args()
	if len(rest) == 0 || rest[0] == "help" {
		if len(rest) == 0 {
			return fmt.Errorf("%w: no command", ErrUsage)
		}
		return flag.ErrHelp
	}
	cmd, rest, err := findCommand(rest)
	if err != nil {
		return err
	}
	var o opts
	fs := newFlagSet("countersignctl "+cmd.path, &g)
	if cmd.flags != nil {
		cmd.flags(fs, &o)
	}
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return flagError(err)
	}
	if len(pos) < cmd.nargs || len(pos) > max(cmd.nargs, cmd.maxArgs) {
		return fmt.Errorf("%w: %s takes %s (got %d arguments)", ErrUsage, cmd.path, argsText(cmd), len(pos))
	}
	c, err := newSession(g, stdio)
	if err != nil {
		return err
	}
	return cmd.run(ctx, c, pos, &o)
}

func argsText(cmd command) string {
	if cmd.args == "" {
		return "no arguments"
	}
	return cmd.args
}

// findCommand matches the longest command path at the start of words.
func findCommand(words []string) (command, []string, error) {
	for _, c := range commands {
		parts := strings.Fields(c.path)
		if len(words) >= len(parts) && strings.Join(words[:len(parts)], " ") == c.path {
			return c, words[len(parts):], nil
		}
	}
	what := words[0]
	if len(words) > 1 {
		what += " " + words[1]
	}
	return command{}, nil, fmt.Errorf("%w: unknown command %q", ErrUsage, what)
}

// newFlagSet returns a flag set with the global flags bound to g, so they
// are accepted before the command as CONTRACT.md writes them and after it
// as people type them.
func newFlagSet(name string, g *globals) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Run decides what to print
	fs.StringVar(&g.url, "url", g.url, "admin API base URL ($"+EnvURL+")")
	fs.StringVar(&g.token, "token", g.token, "admin bearer token ($"+EnvToken+")")
	fs.BoolVar(&g.json, "json", g.json, "print the API's JSON")
	fs.StringVar(&g.cacert, "cacert", g.cacert, "PEM CA certificates to trust for an https admin URL ($"+EnvCACert+")")
	fs.StringVar(&g.cert, "cert", g.cert, "PEM client certificate for an mTLS admin listener ($"+EnvCert+")")
	fs.StringVar(&g.key, "key", g.key, "PEM key of --cert ($"+EnvKey+")")
	return fs
}

// parseInterspersed parses flags wherever they appear among the
// positional arguments ("reconcile acme docusign --since 1h"); after "--"
// every word is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUsage, err)
}

func usage() string {
	var b strings.Builder
	b.WriteString("Usage: countersignctl [--url URL] [--token TOKEN] [--json] <command>\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %s\n      %s\n", strings.TrimSpace(c.path+" "+c.args), c.help)
	}
	b.WriteString(`
Flags:
  --url URL       admin API base URL (default $` + EnvURL + `)
  --token TOKEN   admin bearer token (default $` + EnvToken + `)
  --json          print the API's JSON (one document per command)
  --cacert FILE   CA certificates to trust for an https URL (default $` + EnvCACert + `)
  --cert FILE, --key FILE
                  client certificate for an mTLS admin listener (default $` + EnvCert + `, $` + EnvKey + `)
  dlq list:       --tenant T --service S --class C --since T --until T --limit N
  replay:         --ids ID,… | --since T [--until T] [--tenant T --service S --class C] [--force] [--yes]
  reconcile:      --since T
  envelope list:  --state S --provider P --q PART-OF-ID --limit N
  audit:          --tenant T --since T --limit N

Times are RFC 3339 or a duration back from now (90m, 6h, 7d).
Exit codes: 0 ok, 1 failure, 2 usage, 3 the ledger does not verify.
`)
	return b.String()
}
