// Package bus is countersign's JetStream plumbing: the one place that
// declares streams, KV buckets, subjects, headers and durable consumers
// (topology.go), the raw-callback codec (raw.go), and the worker contract
// every service consumes with (worker.go): a Handler returns nil to ack,
// Retry or any other error to nak with a delay, Permanent to dead-letter
// the message and Term it. Cross-cutting behaviour — panic recovery,
// logging, metrics, dedupe locks — is Middleware, one per file.
package bus
