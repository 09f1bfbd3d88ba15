// Package bench is countersign's benchmark suite: a load generator that
// drives signed provider deliveries at a running all-in-one over
// keep-alive HTTP, matches them to the ledger entries published on the
// envelope subjects, and measures the same traffic against ceiling servers
// (a bare 200 handler, a Standard Webhooks verify-only handler).
//
// The program in tests/cmd/bench (`go tool task bench`) runs the phases and
// writes bench-results.json; this package holds the parts, each testable
// alone: signers, closed- and open-loop load, latency percentiles, the
// pipeline tracker, process control with RSS sampling, and the parser of
// `go test -bench` output.
package bench
