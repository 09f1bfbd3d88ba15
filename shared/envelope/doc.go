// Package envelope is countersign's domain: the canonical event model, the
// envelope state machine, the hash-chained ledger and the subject scheme.
// It does no I/O: everything here is a pure function over values, so the
// services that store records (KV, with CAS) and publish entries (JetStream)
// can retry freely.
//
// # States
//
// Envelope states rank
//
//	created < sent < delivered < partially_signed < {completed, declined, voided, expired}
//
// and the last four are terminal. Recipient states rank
// sent < delivered < signed|declined; delivery and authentication failures
// are counted beside them.
//
// # Rules applied by Apply
//
//   - An event id already applied is a duplicate: nothing changes and no
//     ledger entry is produced. Every other event yields exactly one entry.
//   - sent and delivered raise the envelope to that state if it ranks lower.
//   - recipient_signed raises the recipient to signed and, unless the
//     envelope is terminal, raises the envelope to partially_signed.
//   - recipient_declined raises the recipient to declined; the envelope only
//     changes on the provider's own declined event.
//   - recipient_delivery_failed and recipient_auth_failed add one to the
//     recipient's counter.
//   - Recipient events on a terminal envelope still update the recipient, so
//     late arrivals converge, but never the envelope state.
//   - completed, declined, voided and expired make a non-terminal envelope
//     terminal. The same terminal state again is stale; a different one is a
//     conflict: the first stands, the record is flagged (Record.Conflict) and
//     a conflict entry is written so the provider can be asked for the truth.
//   - corrected sets the state the provider reports, even out of a terminal
//     state, and clears the conflict flag.
//   - An event that changes nothing (it would lower a rank, or repeats one
//     already reached) is recorded as a stale entry, state unchanged.
//
// Because states only rise (corrections aside) and counters add up per
// distinct event id, any permutation of an envelope's events, with any
// duplication, reaches the same state and recipients as the in-order
// sequence, and the ledger holds each distinct event exactly once. Two
// terminal events, or a recipient that both signs and declines, are the
// exceptions: the first one stands and the conflict is resolved by a
// correction.
//
// # Ledger
//
// Every entry carries seq (from 1, no gaps), prev_hash and hash, where hash
// is the lowercase hex SHA-256 of prev_hash + "\n" + JCS(entry without
// "hash") (RFC 8785). VerifyChain re-checks a published chain from raw bytes
// as an outside auditor would.
//
// # Subjects
//
// Entries are published on envelope.<tenant>.<token>.<type>, where token is
// the provider's envelope id when it matches [A-Za-z0-9_-]{1,128}, else "="
// followed by the id in unpadded base64url (see Token).
package envelope
