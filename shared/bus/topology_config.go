package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/subjects"
)

// Topology defaults.
const (
	DefaultRawMaxAge     = 30 * 24 * time.Hour
	DefaultDLQMaxAge     = 365 * 24 * time.Hour
	DefaultMaxDeliver    = 100
	DefaultAckWait       = 30 * time.Second
	DefaultMaxAckPending = 10000
	// DefaultInFlight is how many messages of one partition a worker
	// handles at once (in order per envelope).
	DefaultInFlight = 32
)

// Topology sizes the streams, buckets and consumers Setup declares. Zero
// fields take the defaults above.
type Topology struct {
	// Replicas of every stream and bucket (1 on one machine, 3 on a cluster).
	Replicas int
	// RawMaxAge bounds RAW's history (default 30 days).
	RawMaxAge time.Duration
	// DLQMaxAge bounds DLQ's history (default 365 days).
	DLQMaxAge time.Duration
	// LedgerMaxAge bounds ENVELOPES' history (default 0 = forever).
	LedgerMaxAge time.Duration
	// MaxDeliver is every durable consumer's delivery limit (default 100);
	// a worker's WorkerConfig.MaxDeliver must equal it. It is the hard
	// ceiling that catches a message crashing its worker every time;
	// transient errors are bounded by time (RetryPolicy).
	MaxDeliver int
	// Backoff is the consumers' ack-timeout redelivery schedule. It is
	// empty by default, on purpose: the server makes Backoff[0] the
	// AckWait and measures a NAK delay from the current backoff step
	// rather than from AckWait, so a backoff would stretch the worker's
	// own jittered NakWithDelay delays. The worker computes transient
	// delays itself; AckWait only catches crashed workers.
	Backoff []time.Duration
	// AckWait is how long the server waits for a verdict before
	// redelivering (default 30s). Workers signal progress on slow
	// handlers, so it bounds the detection of a crashed worker, not the
	// length of a handler.
	AckWait time.Duration
	// Partitions is how many partitions RAW and STATE are split into by
	// envelope (default subjects.DefaultPartitions): each is owned by one
	// worker replica at a time and applied in order per envelope.
	// Changing it re-hashes envelopes; do it with STATE empty.
	Partitions int
	// InFlight is how many messages of one partition its owner handles at
	// once (default DefaultInFlight), in parallel across envelopes and in
	// stored order within one; 1 applies a partition strictly one message
	// after the other.
	InFlight int
	// StateAckInMemory keeps the STATE partition consumers' ack state in
	// the server's memory instead of a file per consumer (see
	// partitioned.consumers). Only for a server that lives and dies with
	// the process that runs Setup — the all-in-one's embedded one: a
	// server restarted under running workers would lose the consumers
	// until the next Setup.
	StateAckInMemory bool
}

func (t Topology) withDefaults() Topology {
	if t.Replicas <= 0 {
		t.Replicas = 1
	}
	if t.RawMaxAge <= 0 {
		t.RawMaxAge = DefaultRawMaxAge
	}
	if t.DLQMaxAge <= 0 {
		t.DLQMaxAge = DefaultDLQMaxAge
	}
	if t.LedgerMaxAge < 0 {
		t.LedgerMaxAge = 0
	}
	if t.MaxDeliver <= 0 {
		t.MaxDeliver = DefaultMaxDeliver
	}
	if t.AckWait <= 0 {
		t.AckWait = DefaultAckWait
	}
	if t.Partitions <= 0 {
		t.Partitions = subjects.DefaultPartitions
	}
	if t.InFlight <= 0 {
		t.InFlight = DefaultInFlight
	}
	if len(t.Backoff) > t.MaxDeliver {
		// The server rejects a backoff longer than MaxDeliver.
		t.Backoff = t.Backoff[:t.MaxDeliver]
	}
	if len(t.Backoff) > 0 {
		t.AckWait = t.Backoff[0]
	}
	return t
}

// ledger allows direct gets on the ledger stream: statesync and the admin
// API read an envelope's last entries by subject, and direct gets are
// answered by any replica without going through the stream leader.
func ledger(c jetstream.StreamConfig) jetstream.StreamConfig {
	c.AllowDirect = true
	return c
}

// timers lets a work stream hold durable timers: JetStream message
// schedules on timer.>. The server fires a schedule by storing a copy on
// its Nats-Schedule-Target, which must be a subject of the same stream,
// and purges the schedule in the same write — so the fired job lands in
// the work queue beside the schedules, and a consumer filtered to the
// work subjects never sees a pending schedule. Schedules need roll-ups
// (one schedule per subject) and purges (cancelling a timer).
func timers(c jetstream.StreamConfig) jetstream.StreamConfig {
	c.Subjects = append(c.Subjects, TimerSubjects)
	c.AllowMsgSchedules = true
	c.AllowRollup = true
	return c
}

// StreamConfigs returns the configuration of every stream countersign
// uses, sized by t.
func StreamConfigs(t Topology) []jetstream.StreamConfig {
	t = t.withDefaults()
	limits := func(name, subject string, maxAge, dup time.Duration) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name: name, Subjects: []string{subject},
			Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
			MaxAge: maxAge, Duplicates: dup, Replicas: t.Replicas,
		}
	}
	work := func(name, subject string) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name: name, Subjects: []string{subject},
			Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
			Duplicates: 2 * time.Minute, Replicas: t.Replicas,
		}
	}
	partition := func(c jetstream.StreamConfig) jetstream.StreamConfig {
		p, _ := partitionOf(c.Name)
		c.SubjectTransform = p.transform(t.Partitions)
		return c
	}
	return []jetstream.StreamConfig{
		partition(limits(StreamRaw, "raw.>", t.RawMaxAge, 2*time.Minute)),
		partition(work(StreamState, "state.>")),
		ledger(limits(StreamEnvelopes, "envelope.>", t.LedgerMaxAge, 10*time.Minute)),
		limits(StreamDLQ, "dlq.>", t.DLQMaxAge, 2*time.Minute),
		timers(work(StreamNotify, "notify.>")),
		work(StreamExport, "export.>"),
		limits(StreamAudit, StreamAuditSubjects, t.DLQMaxAge, 2*time.Minute),
	}
}

// BucketConfigs returns the KV buckets Setup declares. The locks bucket is
// not among them: dedupe.NewKV owns it, because its MaxAge is the lock TTL.
func BucketConfigs(t Topology) []jetstream.KeyValueConfig {
	t = t.withDefaults()
	return []jetstream.KeyValueConfig{
		{Bucket: BucketEnvelopes, History: 1, Storage: jetstream.FileStorage, Replicas: t.Replicas},
		{Bucket: BucketCursors, History: 1, Storage: jetstream.FileStorage, Replicas: t.Replicas},
	}
}

// ConsumerConfig returns a durable pull consumer on stream with explicit
// acks, sized by t, filtered to filter (all subjects when empty). Later
// services declare their consumers with it so all share one policy. stream
// is not part of the config; it names where the caller creates it.
func ConsumerConfig(t Topology, durable, stream string, filter ...string) jetstream.ConsumerConfig {
	t = t.withDefaults()
	c := jetstream.ConsumerConfig{
		Durable:       durable,
		Description:   durable + " on " + stream,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       t.AckWait,
		MaxDeliver:    t.MaxDeliver,
		BackOff:       t.Backoff,
		MaxAckPending: DefaultMaxAckPending,
		Replicas:      t.Replicas,
	}
	switch len(filter) {
	case 0:
	case 1:
		c.FilterSubject = filter[0]
	default:
		c.FilterSubjects = filter
	}
	return c
}

// Setup declares every stream, bucket and the pipeline's durable
// consumers (verifier on RAW, statesync on STATE, one per partition). It is idempotent: any
// number of processes may call it at once; an existing object is updated
// to t. Returned errors name the object that failed.
func Setup(ctx context.Context, js jetstream.JetStream, t Topology) error {
	for _, sc := range StreamConfigs(t) {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("bus: stream %s: %w", sc.Name, err)
		}
	}
	for _, kc := range BucketConfigs(t) {
		if _, err := js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("bus: bucket %s: %w", kc.Bucket, err)
		}
	}
	return setupPartitions(ctx, js, t)
}
