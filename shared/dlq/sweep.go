package dlq

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// sweepReason is the error of an entry the sweep writes: the advisory
// was missed, so the exact delivery count is not known.
const sweepReason = "no verdict after the consumer's last delivery (found by the start-up sweep)"

// Sweep dead-letters the messages of every work-queue stream that a
// consumer gave up on while no Watcher heard the advisory, and deletes
// them. In a work-queue stream an acked (or Termed) message is removed, so
// a message the consumer has delivered, that matches its filter, is not
// awaiting a verdict and is still stored is one whose deliveries ran out
// (see deadBound). It returns how many it dead-lettered and the first
// error (it goes on past errors).
func (w *Watcher) Sweep(ctx context.Context) (int, error) {
	var (
		count    int
		firstErr error
	)
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	streams := w.cfg.JS.ListStreams(ctx)
	for info := range streams.Info() {
		if info.Config.Retention != jetstream.WorkQueuePolicy || info.State.Msgs == 0 {
			continue
		}
		n, err := w.sweepStream(ctx, info)
		count += n
		keep(err)
	}
	keep(streams.Err())
	return count, firstErr
}

// sweepStream sweeps one work-queue stream, consumer by consumer.
func (w *Watcher) sweepStream(ctx context.Context, info *jetstream.StreamInfo) (int, error) {
	stream, err := w.stream(ctx, info.Config.Name)
	if err != nil {
		return 0, err
	}
	count := 0
	consumers := stream.ListConsumers(ctx)
	for ci := range consumers.Info() {
		floor := deadBound(ci)
		if floor < info.State.FirstSeq {
			continue
		}
		filters := ci.Config.FilterSubjects
		if ci.Config.FilterSubject != "" {
			filters = append(filters, ci.Config.FilterSubject)
		}
		if len(filters) == 0 {
			filters = []string{">"}
		}
		for _, filter := range filters {
			n, err := w.sweepBelow(ctx, stream, ci.Name, ci.Config.MaxDeliver, filter, info.State.FirstSeq, floor)
			count += n
			if err != nil {
				return count, err
			}
		}
	}
	if err := consumers.Err(); err != nil {
		return count, fmt.Errorf("dlq: consumers of %s: %w", info.Config.Name, err)
	}
	return count, nil
}

// sweepBelow dead-letters the messages on filter from seq first to floor.
// Each lookup jumps to the next stored message on filter, so the cost is
// the number of dead messages, not the width of the range.
func (w *Watcher) sweepBelow(ctx context.Context, stream jetstream.Stream, consumer string, maxDeliver int, filter string, first, floor uint64) (int, error) {
	name := stream.CachedInfo().Config.Name
	count := 0
	for seq := first; seq <= floor; {
		raw, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return count, nil
		}
		if err != nil {
			return count, fmt.Errorf("dlq: sweep %s: %w", name, err)
		}
		if raw.Sequence > floor {
			return count, nil
		}
		if err := w.deadLetter(ctx, name, consumer, raw.Sequence, maxDeliver, sweepReason, raw.Time); err != nil {
			return count, err
		}
		count++
		seq = raw.Sequence + 1
	}
	return count, nil
}

// deadBound returns the highest stream sequence at or below which every
// stored message of ci's filter is one the consumer gave up on. With no
// message awaiting a verdict (nak'ed ones included) that is everything
// delivered so far; otherwise only the ack floor is certain (the server
// does not always move the floor past a message it gave up on, so such a
// message is found by a later sweep, when the consumer is idle).
func deadBound(ci *jetstream.ConsumerInfo) uint64 {
	if ci.NumAckPending == 0 {
		return ci.Delivered.Stream
	}
	return ci.AckFloor.Stream
}
