// Package subjects names countersign's JetStream streams, buckets, durable
// consumers, headers and subjects. It imports nothing but the standard
// library, so a subscriber or a tool can name a stream without pulling in
// the services' dependencies (Redis, Prometheus, the provider adapters).
package subjects

import (
	"strconv"
	"strings"
)

// Stream names. Fact streams (RAW, ENVELOPES, DLQ) keep history; work
// streams (STATE, NOTIFY, EXPORT) drop a message once it is acked.
const (
	// StreamRaw holds raw callbacks as received, on
	// raw.<partition>.<tenant>.<provider>.<envelope token>.
	StreamRaw = "RAW"
	// StreamState is the work queue of canonical events, on
	// state.<partition>.<tenant>.<envelope token>.
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
	// BucketLocks holds the dedupe locks when no Redis is configured.
	BucketLocks = "locks"
	// BucketCursors holds the reconciler's per (tenant, provider) cursors.
	BucketCursors = "cursors"
)

// Durable consumer names of the pipeline. Each is a family: one durable
// per partition, named by PartitionConsumer.
const (
	// ConsumerVerifier is the verifier's consumer family on RAW.
	ConsumerVerifier = "verifier"
	// ConsumerStatesync is statesync's consumer family on STATE.
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

// Unknown stands for a missing or subject-unsafe token, for example the
// envelope of a raw callback that cannot be parsed.
const Unknown = "_"

// DefaultPartitions is how many partitions RAW and STATE are split into by
// envelope when the configuration does not say.
const DefaultPartitions = 16

// RawSubject returns the subject a raw callback is published on:
// raw.<tenant>.<provider>.<envelope token>; an empty or unsafe envelope
// token becomes "_". The stream inserts the partition after "raw.".
func RawSubject(tenant, provider, envelopeToken string) string {
	return "raw." + tenant + "." + provider + "." + SafeToken(envelopeToken)
}

// RawFilter returns the filter matching every raw callback of a tenant and
// provider as stored, whatever its partition and envelope.
func RawFilter(tenant, provider string) string {
	return "raw.*." + tenant + "." + provider + ".*"
}

// StateSubject returns the subject a canonical event is published on:
// state.<tenant>.<envelope token>. The stream inserts the partition after
// "state.".
func StateSubject(tenant, envelopeToken string) string {
	return "state." + tenant + "." + envelopeToken
}

// DLQSubject returns the DLQ subject of a dead letter:
// dlq.<service>.<tenant>; a service or tenant that is empty or not a valid
// subject token becomes "_".
func DLQSubject(service, tenant string) string {
	return "dlq." + SafeToken(service) + "." + SafeToken(tenant)
}

// SafeToken returns s, or "_" when s cannot be one subject token.
func SafeToken(s string) string {
	if s == "" || strings.ContainsAny(s, ".*> \t\r\n") {
		return Unknown
	}
	return s
}

// PartitionConsumer returns the durable name of partition p of a consumer
// family: "<family>-<p>", p zero-padded to two digits.
func PartitionConsumer(family string, p int) string {
	n := strconv.Itoa(p)
	if len(n) < 2 {
		n = "0" + n
	}
	return family + "-" + n
}

// ConsumerFamily returns the family a durable name belongs to: the name
// without its "-<digits>" partition suffix, or the name itself.
func ConsumerFamily(durable string) string {
	i := strings.LastIndexByte(durable, '-')
	if i < 0 || i == len(durable)-1 {
		return durable
	}
	for _, c := range durable[i+1:] {
		if c < '0' || c > '9' {
			return durable
		}
	}
	return durable[:i]
}
