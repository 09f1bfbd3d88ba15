package dlq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	// scanBatch is how many messages one fetch of a scan asks for.
	scanBatch = 256
	// scanWait bounds one fetch: the scan knows how many messages remain,
	// so a fetch that waits this long found the stream's end.
	scanWait = 2 * time.Second
	// scanInactive lets the server drop a scan's consumer that a crashed
	// reader did not delete.
	scanInactive = 30 * time.Second
	// clockSlack widens a scan's start time: DeadAt comes from the
	// writer's clock, the stream timestamp from the server's.
	clockSlack = time.Minute
)

// scan reads stream's messages on subject filter, stored at or after
// start (zero: from the first), up to the stream's last sequence when the
// scan began — so what a replay publishes into the same stream is never
// read back. It calls fn for each until fn returns false or an error.
func scan(ctx context.Context, js jetstream.JetStream, stream, filter string, start time.Time, fn func(jetstream.Msg) (bool, error)) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("dlq: stream %s: %w", stream, err)
	}
	last := s.CachedInfo().State.LastSeq
	if s.CachedInfo().State.Msgs == 0 {
		return nil
	}
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{filter},
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: scanInactive,
	}
	if !start.IsZero() {
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &start
	}
	cons, err := s.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("dlq: read %s: %w", stream, err)
	}
	defer func() {
		// Best effort: InactiveThreshold removes it otherwise.
		if info := cons.CachedInfo(); info != nil {
			_ = s.DeleteConsumer(context.WithoutCancel(ctx), info.Name)
		}
	}()
	if info := cons.CachedInfo(); info == nil || info.NumPending == 0 {
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err := cons.Fetch(scanBatch, jetstream.FetchMaxWait(scanWait))
		if err != nil {
			return fmt.Errorf("dlq: read %s: %w", stream, err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("dlq: read %s: %w", stream, err)
			}
			if md.Sequence.Stream > last {
				return nil
			}
			more, err := fn(msg)
			if err != nil || !more {
				return err
			}
			if md.NumPending == 0 {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("dlq: read %s: %w", stream, err)
		}
		if n == 0 {
			return nil
		}
	}
}
