// Package dlq completes the dead-letter queue the bus workers write to:
//
//   - Watcher turns JetStream's MAX_DELIVERIES advisories into DLQ
//     entries (a worker that crashes on a poison message never writes one
//     itself) and removes the dead message from its work-queue stream.
//   - Store lists DLQ entries by tenant, service, class and time, and
//     replays them — or a window of raw callbacks from RAW — to their
//     original subjects with a fresh Nats-Msg-Id and a Cs-Replay-Of header.
//   - API serves both as the admin routes GET /v1/dlq, POST /v1/replay and
//     POST /v1/replay/raw.
//
// A replayed DLQ entry is rewritten in place (published again on its DLQ
// subject with ReplayedAt and ReplayResult set, the old copy deleted), so
// the DLQ stream holds only bus.DeadLetter JSON and a default replay
// skips what was already replayed. Effects stay single because the
// pipeline dedupes on semantic event ids and statesync's applied set.
package dlq
