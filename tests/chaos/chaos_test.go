package chaos

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// options returns the run size: Modest unless COUNTERSIGN_CHAOS_ENVELOPES
// asks for more (then Full with that many envelopes).
func options(t *testing.T) Options {
	t.Helper()
	o := Modest
	if v := os.Getenv("COUNTERSIGN_CHAOS_ENVELOPES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("COUNTERSIGN_CHAOS_ENVELOPES=%q: want a positive number", v)
		}
		if n > Modest.Envelopes {
			o = Full
		}
		o.Envelopes = n
	}
	o.Out = os.Getenv("COUNTERSIGN_CHAOS_OUT")
	if o.Out == "" {
		o.Out = filepath.Join(t.TempDir(), "chaos-results.json")
	}
	o.LogDir = os.Getenv("COUNTERSIGN_CHAOS_LOGS")
	return o
}

// TestChaos is the chaos suite (see the package doc). It never skips: in
// `go test work` it runs the modest size.
func TestChaos(t *testing.T) {
	o := options(t)
	res := Run(t, o)
	t.Logf("\n%s", res)
	t.Logf("chaos: results in %s", o.Out)

	data, err := os.ReadFile(o.Out)
	if err != nil {
		t.Fatalf("results file: %v", err)
	}
	var back Results
	if err := json.Unmarshal(data, &back); err != nil || back.Envelopes != o.Envelopes {
		t.Fatalf("results file does not hold this run (envelopes %d): %v", back.Envelopes, err)
	}
	for _, c := range []struct {
		name      string
		got, want int
		atLeast   bool
	}{
		{"lost events", res.Lost, 0, false},
		{"duplicated events", res.Duplicated, 0, false},
		{"unexpected ledger entries", res.Unexpected, 0, false},
		{"state mismatches", res.StateMismatches, 0, false},
		{"unverified chains", res.UnverifiedChains, 0, false},
		{"DLQ entries (only the planted one)", res.DLQ, 1, false},
		{"findings", len(res.Findings), 0, false},
		{"webhook-complete envelopes checked", res.WebhookComplete, 1, true},
		{"service kills", res.Kills, 1, true},
		{"NATS node kills", res.NATSNodeKills, 1, true},
		{"events in ledgers", res.LedgerEntries, res.Events, false},
	} {
		if (c.atLeast && c.got < c.want) || (!c.atLeast && c.got != c.want) {
			t.Errorf("%s: %d, want %s%d", c.name, c.got, map[bool]string{true: "≥ ", false: ""}[c.atLeast], c.want)
		}
	}
	if os.Getenv("COUNTERSIGN_REDIS_URL") == "" && res.RedisRestarts == 0 {
		t.Errorf("Redis was never restarted")
	}
}
