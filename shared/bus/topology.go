package bus

import "github.com/countersign/countersign/shared/subjects"

// Stream, bucket, consumer and header names live in shared/subjects, which
// imports nothing, so a subscriber can name them without this package's
// dependencies. They are repeated here for the services' convenience.
const (
	StreamRaw       = subjects.StreamRaw
	StreamState     = subjects.StreamState
	StreamEnvelopes = subjects.StreamEnvelopes
	StreamDLQ       = subjects.StreamDLQ
	StreamNotify    = subjects.StreamNotify
	StreamExport    = subjects.StreamExport

	BucketEnvelopes = subjects.BucketEnvelopes
	BucketLocks     = subjects.BucketLocks
	BucketCursors   = subjects.BucketCursors

	ConsumerVerifier  = subjects.ConsumerVerifier
	ConsumerStatesync = subjects.ConsumerStatesync
	// ConsumerNotifier is the notifier's consumer on ENVELOPES, and
	// ConsumerNotifyJobs its work-queue consumer on NOTIFY (notify.>).
	ConsumerNotifier   = subjects.ConsumerNotifier
	ConsumerNotifyJobs = subjects.ConsumerNotifyJobs

	// TimerSubjects are the subjects of the notifier's timers in NOTIFY.
	TimerSubjects = subjects.TimerSubjects

	HeaderTenant   = subjects.HeaderTenant
	HeaderEnvelope = subjects.HeaderEnvelope
	HeaderProvider = subjects.HeaderProvider
	HeaderReplayOf = subjects.HeaderReplayOf
	HeaderMsgID    = subjects.HeaderMsgID
)

// RawSubject returns the subject of a raw callback:
// raw.<tenant>.<provider>.<envelope token> (see subjects.RawSubject).
func RawSubject(tenant, provider, envelopeToken string) string {
	return subjects.RawSubject(tenant, provider, envelopeToken)
}

// StateSubject returns the STATE subject of a canonical event:
// state.<tenant>.<envelope token>.
func StateSubject(tenant, envelopeToken string) string {
	return subjects.StateSubject(tenant, envelopeToken)
}

// DLQSubject returns the DLQ subject of a dead letter: dlq.<service>.<tenant>.
func DLQSubject(service, tenant string) string {
	return subjects.DLQSubject(service, tenant)
}

// safeToken returns s, or "_" when s cannot be one subject token.
func safeToken(s string) string { return subjects.SafeToken(s) }
