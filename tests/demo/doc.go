// Package demo drives countersign against the provider sandbox and judges
// the outcome: it renders a countersign config whose providers point at the
// sandbox's API, reads envelopes and ledgers back through the admin API,
// compares them with the sandbox's truth, and (Run) performs the whole
// `go tool task demo` — the all-in-one binary on free loopback ports,
// realistic faulty traffic for every provider, a bounded wait for
// convergence and a printed convergence report. The end-to-end tests use
// the same admin client and checks.
package demo
