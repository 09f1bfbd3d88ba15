package chaos

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/countersign/countersign/tests/sandbox"
)

// Results are a chaos run's figures, written to the results file and
// printed.
type Results struct {
	Envelopes int `json:"envelopes"`
	// WebhookComplete envelopes had every callback acknowledged: their
	// state is compared with the truth. Excluded are the rest (a callback
	// the provider gave up on, or never sends): only reconciliation can
	// bring them to the truth, so their state is not compared — their
	// ledgers still are.
	WebhookComplete int `json:"webhook_complete"`
	Excluded        int `json:"excluded"`
	// RawCallbacks are the callbacks stored in RAW; Events the distinct
	// events accepted from them, LedgerEntries what the ledgers hold.
	RawCallbacks  int `json:"raw_callbacks"`
	Events        int `json:"events"`
	LedgerEntries int `json:"ledger_entries"`
	// Kills are kill -9s of service processes (each started again at
	// once); Crashes are service exits nobody caused.
	Kills         int `json:"kills"`
	Crashes       int `json:"crashes"`
	RedisRestarts int `json:"redis_restarts"`
	NATSNodeKills int `json:"nats_node_kills"`
	// Restarts counts every restart: services, Redis and NATS nodes.
	Restarts int `json:"restarts"`
	// Lost and Duplicated count accepted events missing from, or more
	// than once in, their envelope's ledger: both must be 0.
	Lost       int `json:"lost"`
	Duplicated int `json:"duplicated"`
	Unexpected int `json:"unexpected"`
	// StateMismatches counts complete envelopes whose state is not the
	// truth; UnverifiedChains ledgers whose hash chain does not verify.
	StateMismatches  int `json:"state_mismatches"`
	UnverifiedChains int `json:"unverified_chains"`
	// DLQ is the DLQ's message count; DLQPlanted what the suite planted.
	DLQ        int `json:"dlq"`
	DLQPlanted int `json:"dlq_planted"`
	// FireSeconds is how long the sandbox fired; ConvergeSeconds how long
	// after that every envelope took to converge.
	FireSeconds     float64        `json:"fire_seconds"`
	ConvergeSeconds float64        `json:"converge_seconds"`
	Sandbox         sandbox.Report `json:"sandbox"`
	// Findings describe what went wrong; none on a passing run.
	Findings []string `json:"findings"`
	// Logs are the services' and nodes' log files.
	Logs []string `json:"logs,omitempty"`
}

// Write writes r as indented JSON to path.
func (r Results) Write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("chaos: encode results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("chaos: write results: %w", err)
	}
	return nil
}

// String is the human summary printed after a run.
func (r Results) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chaos: %d envelopes (%d webhook-complete, %d excluded: need reconciliation), %d callbacks stored, %d distinct events, %d ledger entries\n",
		r.Envelopes, r.WebhookComplete, r.Excluded, r.RawCallbacks, r.Events, r.LedgerEntries)
	fmt.Fprintf(&b, "chaos: sandbox sent %d requests: %d duplicated, %d reordered, %d redelivered, %d lost acks, %d given up\n",
		r.Sandbox.Sent, r.Sandbox.Duplicated, r.Sandbox.Reordered, r.Sandbox.Retried, r.Sandbox.LostAcks, r.Sandbox.Failed)
	fmt.Fprintf(&b, "chaos: %d kills -9 of services, %d crashes, %d Redis restarts, %d NATS node kills, %d restarts in all\n",
		r.Kills, r.Crashes, r.RedisRestarts, r.NATSNodeKills, r.Restarts)
	fmt.Fprintf(&b, "chaos: lost %d, duplicated %d, unexpected %d, state mismatches %d, unverified chains %d, DLQ %d (planted %d)\n",
		r.Lost, r.Duplicated, r.Unexpected, r.StateMismatches, r.UnverifiedChains, r.DLQ, r.DLQPlanted)
	fmt.Fprintf(&b, "chaos: fired for %.1fs, converged %.1fs later\n", r.FireSeconds, r.ConvergeSeconds)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "chaos: FINDING: %s\n", f)
	}
	return b.String()
}
