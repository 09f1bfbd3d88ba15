package countersignctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/countersign/countersign/services/countersignctl"
	"github.com/countersign/countersign/shared/envelope"
)

// The end-to-end tests against a real mesh are in tests/e2e
// (countersignctl_test.go); these cover what a real server cannot be made
// to do: lie about a ledger, and the client-side rules.

// run runs a command line with env and returns the exit code and output.
func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = countersignctl.Run(context.Background(), args, countersignctl.IO{
		Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] },
	})
	return code, out.String(), errOut.String()
}

// chain returns n chained ledger entries of acme/env-1 as published.
func chain(t *testing.T, n int) []envelope.Entry {
	t.Helper()
	var out []envelope.Entry
	prev := ""
	for i := 1; i <= n; i++ {
		e := envelope.Entry{
			ID: "ev" + string(rune('0'+i)), Tenant: "acme", Provider: "docusign", EnvelopeID: "env-1",
			Type: envelope.TypeSent, State: envelope.StateSent, PreviousState: envelope.StateCreated,
			OccurredAt: "2026-01-02T10:00:00Z", RecordedAt: "2026-01-02T10:00:01Z", Source: envelope.SourceWebhook,
			Seq: uint64(i), PrevHash: prev,
		}
		h, err := e.ComputeHash()
		if err != nil {
			t.Fatal(err)
		}
		e.Hash, prev = h, h
		out = append(out, e)
	}
	return out
}

// lyingServer serves acme/env-1 with the given entries and always claims
// the ledger verified, with the record's head at the last entry.
func lyingServer(t *testing.T, entries []envelope.Entry) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/tenants/acme/envelopes/env-1/ledger", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"entries": entries, "verified": true})
	})
	mux.HandleFunc("GET /v1/tenants/acme/envelopes/env-1", func(w http.ResponseWriter, r *http.Request) {
		last := entries[len(entries)-1]
		_ = json.NewEncoder(w).Encode(map[string]any{
			"tenant": "acme", "envelope_id": "env-1", "provider": "docusign", "state": "sent",
			"recipients": []any{}, "ledger_seq": last.Seq, "ledger_hash": last.Hash,
		})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A server that says "verified" is not believed: the CLI recomputes the
// chain and exits 3 for an altered entry, a broken link, a seq gap or a
// chain cut short of the record's head.
func TestLedgerVerifyIgnoresTheServersWord(t *testing.T) {
	cases := map[string]func([]envelope.Entry) []envelope.Entry{
		"intact": func(e []envelope.Entry) []envelope.Entry { return e },
		"altered state": func(e []envelope.Entry) []envelope.Entry {
			e[1].State = envelope.StateCompleted
			return e
		},
		"broken link": func(e []envelope.Entry) []envelope.Entry {
			e[2].PrevHash = strings.Repeat("0", 64)
			return e
		},
		"seq gap": func(e []envelope.Entry) []envelope.Entry { return append(e[:1], e[2:]...) },
		"rehashed forgery": func(e []envelope.Entry) []envelope.Entry {
			e[1].Source = envelope.SourceReplay
			e[1].Hash, _ = e[1].ComputeHash() // consistent in itself, but entry 3 links to the old hash
			return e
		},
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			srv := lyingServer(t, tamper(chain(t, 3)))
			env := map[string]string{"COUNTERSIGN_ADMIN_URL": srv.URL, "COUNTERSIGN_ADMIN_TOKEN": "tok"}
			code, out, errOut := run(t, env, "ledger", "verify", "acme", "env-1")
			want := countersignctl.ExitUnverified
			if name == "intact" {
				want = countersignctl.ExitOK
			}
			if code != want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
			}
			if want == countersignctl.ExitUnverified && !strings.Contains(out, "chain BROKEN") {
				t.Errorf("stdout does not say the chain is broken:\n%s", out)
			}
		})
	}
}

// A chain that verifies in itself but stops short of the envelope
// record's head is cut short: exit 3.
func TestLedgerVerifyComparesTheRecordsHead(t *testing.T) {
	entries := chain(t, 3)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/tenants/acme/envelopes/env-1/ledger", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"entries": entries, "verified": true})
	})
	mux.HandleFunc("GET /v1/tenants/acme/envelopes/env-1", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"ledger_seq": 3, "ledger_hash": "f00"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	code, _, errOut := run(t, nil, "--url", srv.URL, "--token", "x", "ledger", "verify", "acme", "env-1")
	if code != countersignctl.ExitUnverified || !strings.Contains(errOut, "record's head") {
		t.Fatalf("exit %d, stderr %q; want 3 naming the record's head", code, errOut)
	}
}

// Usage errors exit 2 before any request is made.
func TestUsageErrorsExit2(t *testing.T) {
	env := map[string]string{"COUNTERSIGN_ADMIN_URL": "http://127.0.0.1:1", "COUNTERSIGN_ADMIN_TOKEN": "tok"}
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"envelope"},
		{"envelope", "show", "acme"},
		{"envelope", "show", "acme", "a", "b"},
		{"ledger", "verify", "--nope", "acme", "x"},
		{"replay"},
		{"replay", "--ids", "a", "--since", "1h"},
		{"replay", "--since", "yesterday"},
		{"dlq", "list", "--limit", "-1"},
		{"export", "delete", "acme", "x"},
		{"notify", "resume"},
	} {
		if code, _, errOut := run(t, env, args...); code != countersignctl.ExitUsage {
			t.Errorf("%q: exit %d (%s), want 2", args, code, errOut)
		}
	}
	if code, _, errOut := run(t, nil, "envelope", "show", "acme", "x"); code != countersignctl.ExitUsage ||
		!strings.Contains(errOut, "COUNTERSIGN_ADMIN_URL") {
		t.Errorf("without a URL: exit %d, %q; want 2 naming COUNTERSIGN_ADMIN_URL", code, errOut)
	}
	if code, _, errOut := run(t, map[string]string{"COUNTERSIGN_ADMIN_URL": "http://x"}, "dlq", "list"); code != countersignctl.ExitUsage ||
		!strings.Contains(errOut, "COUNTERSIGN_ADMIN_TOKEN") {
		t.Errorf("without a token: exit %d, %q; want 2 naming COUNTERSIGN_ADMIN_TOKEN", code, errOut)
	}
	if code, out, _ := run(t, nil, "help"); code != countersignctl.ExitOK || !strings.Contains(out, "ledger verify") {
		t.Errorf("help: exit %d, want 0 and the commands", code)
	}
}

// Flags go before or after the command and its arguments; --since takes
// a duration back from now; the request carries what was asked.
func TestFlagsAnywhereAndRequestShape(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &got)
		_, _ = io.WriteString(w, `{"matched":2,"replayed":0,"skipped":0,"failed":0}`)
	}))
	t.Cleanup(srv.Close)
	code, out, errOut := run(t, nil, "replay", "--since", "2h", "--url", srv.URL, "--class", "permanent", "--token", "t", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got["dry_run"] != true || got["class"] != "permanent" || got["since"] == nil || got["until"] == nil {
		t.Errorf("request = %v, want a dry run with class, since and until", got)
	}
	if strings.TrimSpace(out) != `{"matched":2,"replayed":0,"skipped":0,"failed":0}` {
		t.Errorf("--json printed %q, want the API's answer", out)
	}
}
