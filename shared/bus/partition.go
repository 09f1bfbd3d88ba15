package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/subjects"
)

// Events of one envelope must be applied in the order they arrived, yet
// envelopes must proceed in parallel. RAW and STATE are therefore split
// into partitions by (tenant, envelope): the stream itself inserts
// {{partition(P, tenant, envelope)}} into each subject it stores (a subject
// transform, so no publisher can get it wrong), and each partition has its
// own durable consumer. A partition is owned by one worker replica at a
// time (a pinned priority group: the server feeds one client and hands the
// partition to another only after the owner stopped pulling for longer
// than AckWait, so the owner's unsettled messages come first to the next
// one). The owner keeps up to InFlight messages in flight and handles them
// in a lane per envelope: envelopes in parallel, one envelope's messages
// in stored order, a failing one retried in its lane so nothing behind it
// overtakes it (see lanes). Parallelism is partitions × InFlight.

// partitioned describes one partitioned stream: how many tokens its
// publishers' subjects have and which of them (1-based) name the envelope.
type partitioned struct {
	stream, prefix string
	tokens         int // subject tokens after the prefix, as published
	keys           []int
	family         string // the consumer family that consumes it in order
	// workQueue: an acked message is deleted from the stream, so its
	// consumers' ack state may live in memory (Topology.StateAckInMemory).
	workQueue bool
}

var partitionedStreams = []partitioned{
	// raw.<tenant>.<provider>.<envelope token>
	{stream: StreamRaw, prefix: "raw", tokens: 3, keys: []int{1, 3}, family: ConsumerVerifier},
	// state.<tenant>.<envelope token>
	{stream: StreamState, prefix: "state", tokens: 2, keys: []int{1, 2}, family: ConsumerStatesync, workQueue: true},
}

// transform is the stream's subject transform: the partition inserted
// right after the prefix (raw.<p>.…, state.<p>.…). Leading with it keeps
// each partition consumer's filter a literal prefix (state.<p>.>), which
// the server's subject index finds without walking every envelope's
// subject. Subjects of another shape (one already carrying a partition,
// as a replayed dead letter does) are stored unchanged.
func (p partitioned) transform(n int) *jetstream.SubjectTransformConfig {
	src := p.prefix
	keys := ""
	for _, k := range p.keys {
		keys += "," + strconv.Itoa(k)
	}
	dst := p.prefix + ".{{partition(" + strconv.Itoa(n) + keys + ")}}"
	for i := 1; i <= p.tokens; i++ {
		src += ".*"
		dst += ".{{wildcard(" + strconv.Itoa(i) + ")}}"
	}
	return &jetstream.SubjectTransformConfig{Source: src, Destination: dst}
}

// filter is the subject filter of partition i.
func (p partitioned) filter(i int) string {
	return p.prefix + "." + strconv.Itoa(i) + ".>"
}

// PartitionGroup is the priority group a partition's owner pulls in.
const PartitionGroup = "owner"

// PartitionAckWait bounds a partition consumer's AckWait: it is how long a
// dead owner's messages wait before they are handed on, and the partition
// waits about twice that for its next owner. Owners signal progress every
// half of it on anything slower (keepAlive).
const PartitionAckWait = 5 * time.Second

// consumers returns the durable consumers of a partitioned stream, one per
// partition, each pinned to one client at a time with t.InFlight messages
// in flight.
func (p partitioned) consumers(t Topology) []jetstream.ConsumerConfig {
	t = t.withDefaults()
	out := make([]jetstream.ConsumerConfig, t.Partitions)
	for i := range t.Partitions {
		c := ConsumerConfig(t, subjects.PartitionConsumer(p.family, i), p.stream, p.filter(i))
		c.MaxAckPending = t.InFlight
		c.PriorityPolicy = jetstream.PriorityPolicyPinned
		c.PriorityGroups = []string{PartitionGroup}
		if len(c.BackOff) == 0 {
			c.AckWait = min(c.AckWait, PartitionAckWait)
		}
		// A silent owner keeps its partition for twice AckWait, and a live
		// one pulls every half AckWait (laneOpts): when the next replica
		// is pinned, the dead owner's unsettled messages are already due
		// for redelivery, so they reach it before anything stored after
		// them.
		c.PinnedTTL = 2 * c.AckWait
		// A file-stored consumer rewrites its state file (temp file,
		// write, rename) up to ten times a second while busy: with a
		// durable per partition that was a third of the all-in-one's CPU.
		// On the STATE work queue an acked message is deleted from the
		// stream, so state lost with the server costs only redelivery of
		// what was in flight — as AckWait does — once Setup recreates the
		// consumer. RAW keeps its messages: its consumers stay on disk.
		c.MemoryStorage = p.workQueue && t.StateAckInMemory
		out[i] = c
	}
	return out
}

// laneKey returns the envelope a stored subject belongs to (the tokens the
// partition hashes), or the subject itself when it has another shape.
func (p partitioned) laneKey(subject string) string {
	toks := strings.Split(subject, ".")
	// <prefix>.<partition>.<the publisher's tokens>
	if len(toks) != p.tokens+2 || toks[0] != p.prefix {
		return subject
	}
	key := make([]string, len(p.keys))
	for i, k := range p.keys {
		key[i] = toks[1+k]
	}
	return strings.Join(key, ".")
}

// partitionOf returns the partitioned description of stream, if any.
func partitionOf(stream string) (partitioned, bool) {
	for _, p := range partitionedStreams {
		if p.stream == stream {
			return p, true
		}
	}
	return partitioned{}, false
}

// setupPartitions creates or updates every partition consumer. The
// unpartitioned durable of a family (an older layout) is deleted first: on
// the STATE work queue its filter would overlap the partitions'.
func setupPartitions(ctx context.Context, js jetstream.JetStream, t Topology) error {
	t = t.withDefaults()
	for _, p := range partitionedStreams {
		err := js.DeleteConsumer(ctx, p.stream, p.family)
		if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("bus: consumer %s on %s: delete unpartitioned: %w", p.family, p.stream, err)
		}
		for _, c := range p.consumers(t) {
			if err := replaceStorage(ctx, js, p, c); err != nil {
				return err
			}
			if _, err := js.CreateOrUpdateConsumer(ctx, p.stream, c); err != nil {
				return fmt.Errorf("bus: consumer %s on %s: %w", c.Durable, p.stream, err)
			}
		}
	}
	return nil
}

// replaceStorage deletes a work-queue consumer whose state is stored
// otherwise than c says (the server cannot change it in place), so that it
// is created anew: its acked messages are gone from the stream, the rest
// is delivered again from the start.
func replaceStorage(ctx context.Context, js jetstream.JetStream, p partitioned, c jetstream.ConsumerConfig) error {
	if !p.workQueue {
		return nil
	}
	cons, err := js.Consumer(ctx, p.stream, c.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bus: consumer %s on %s: %w", c.Durable, p.stream, err)
	}
	if info := cons.CachedInfo(); info == nil || info.Config.MemoryStorage == c.MemoryStorage {
		return nil
	}
	if err := js.DeleteConsumer(ctx, p.stream, c.Durable); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("bus: consumer %s on %s: replace its storage: %w", c.Durable, p.stream, err)
	}
	return nil
}

// consumerNames returns the durables a worker of family consumes on
// stream: the family's partition consumers that exist, in partition order,
// or the family's name itself when it is one unpartitioned durable.
func consumerNames(ctx context.Context, js jetstream.JetStream, stream, family string) ([]string, error) {
	if _, ok := partitionOf(stream); !ok {
		return []string{family}, nil
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	var names []string
	lister := s.ConsumerNames(ctx)
	for name := range lister.Name() {
		if name != family && subjects.ConsumerFamily(name) == family {
			names = append(names, name)
		}
	}
	if err := lister.Err(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return []string{family}, nil
	}
	slices.Sort(names)
	return names, nil
}
