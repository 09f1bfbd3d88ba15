package bus

import "strings"

// Stream names. Fact streams (RAW, ENVELOPES, DLQ) keep history; work
// streams (STATE, NOTIFY, EXPORT) drop a message once it is acked.
const (
	// StreamRaw holds raw callbacks as received, on raw.<tenant>.<provider>.
	StreamRaw = "RAW"
	// StreamState is the work queue of canonical events, on
	// state.<tenant>.<envelope token>.
	StreamState = "STATE"
	// StreamEnvelopes is the hash-chained ledger and public contract, on
	// envelope.<tenant>.<envelope>.<type>.
	StreamEnvelopes = "ENVELOPES"
	// StreamDLQ holds dead letters, on dlq.<service>.<tenant>.
	StreamDLQ = "DLQ"
	// StreamNotify is the work queue of notification jobs, on notify.>,
	// and the notifier's durable timers (message schedules) on timer.>.
	StreamNotify = "NOTIFY"
	// StreamExport is the work queue of DMS export jobs, on export.>.
	StreamExport = "EXPORT"
)

// KV bucket names.
const (
	// BucketEnvelopes holds the envelope records (state projection).
	BucketEnvelopes = "envelopes"
	// BucketLocks holds the dedupe locks when no Redis is configured; it
	// is created by dedupe.NewKV, whose MaxAge is the lock TTL.
	BucketLocks = "locks"
	// BucketCursors holds the reconciler's per (tenant, provider) cursors.
	BucketCursors = "cursors"
)

// Durable consumer names.
const (
	// ConsumerVerifier is the verifier's consumer on RAW.
	ConsumerVerifier = "verifier"
	// ConsumerStatesync is statesync's consumer on STATE.
	ConsumerStatesync = "statesync"
	// ConsumerNotifier is the notifier's consumer on ENVELOPES, and
	// ConsumerNotifyJobs its work-queue consumer on NOTIFY (notify.>).
	ConsumerNotifier   = "notifier"
	ConsumerNotifyJobs = "notifier-jobs"
)

// TimerSubjects are the subjects of the notifier's timers in NOTIFY:
// timer.<tenant>.<envelope token>.<recipient token>.<kind>.<n>, one
// schedule per subject.
const TimerSubjects = "timer.>"

// Header names countersign sets on its messages.
const (
	// HeaderTenant is the tenant id of a message.
	HeaderTenant = "Cs-Tenant"
	// HeaderEnvelope is the envelope id a message is about.
	HeaderEnvelope = "Cs-Envelope"
	// HeaderProvider is the provider kind of a raw callback.
	HeaderProvider = "Cs-Provider"
	// HeaderReplayOf is set on a replayed message: the DLQ entry id (or
	// RAW sequence) it replays.
	HeaderReplayOf = "Cs-Replay-Of"
	// HeaderMsgID is JetStream's publish dedupe id.
	HeaderMsgID = "Nats-Msg-Id"
)

// unknownToken stands for a missing or subject-unsafe token.
const unknownToken = "_"

// RawSubject returns the RAW subject of a callback: raw.<tenant>.<provider>.
func RawSubject(tenant, provider string) string {
	return "raw." + tenant + "." + provider
}

// StateSubject returns the STATE subject of a canonical event:
// state.<tenant>.<envelope token>.
func StateSubject(tenant, envelopeToken string) string {
	return "state." + tenant + "." + envelopeToken
}

// DLQSubject returns the DLQ subject of a dead letter:
// dlq.<service>.<tenant>; a tenant that is empty or not a valid subject
// token becomes "_".
func DLQSubject(service, tenant string) string {
	return "dlq." + safeToken(service) + "." + safeToken(tenant)
}

// safeToken returns s, or "_" when s cannot be one subject token.
func safeToken(s string) string {
	if s == "" || strings.ContainsAny(s, ".*> \t\r\n") {
		return unknownToken
	}
	return s
}
