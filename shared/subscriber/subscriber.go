// Package subscriber lets a Go service consume countersign's public
// envelope subjects (stream ENVELOPES, envelope.<tenant>.<envelope>.<type>)
// with a durable, explicit-ack consumer in a few lines:
//
//	sub, err := subscriber.Subscribe(ctx, js, subscriber.Options{Durable: "billing"},
//		func(ctx context.Context, m *subscriber.Message) error {
//			return bill(ctx, m.Entry) // nil acks; an error redelivers the entry later
//		})
//	defer sub.Stop()
//
// It is safe by default, in the manner of nats.go's jetstream consumers
// and Watermill's router: a failing entry is redelivered a bounded number
// of times (MaxDeliver 5) after growing, jittered delays, every handler
// error is logged, and the entry is then handed to Options.GiveUp (or
// logged at error level) — never dropped silently. A handler slower than
// AckWait is kept alive rather than run twice. Stop hands buffered entries
// back at once.
//
// Delivery is at least once: a handler must tolerate seeing an entry again
// (the entry's id and seq make that easy). The package imports nats.go,
// the envelope types and the subject names — none of the services'
// dependencies.
package subscriber

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/subjects"
)

// Handler processes one ledger entry. Returning nil acknowledges it; an
// error has it redelivered after the backoff, until MaxDeliver, then
// handed to Options.GiveUp. ctx is cancelled StopGrace after Stop.
type Handler func(ctx context.Context, m *Message) error

// Subscription is a running subscription. Entries are handed to the
// handler one at a time, in stream order (redeliveries aside).
type Subscription struct {
	opts   Options
	h      Handler
	cons   jetstream.Consumer
	iter   jetstream.MessagesContext
	stop   context.CancelFunc // stops fetching
	done   chan struct{}
	hctx   context.Context // the handlers' context, outliving stop by StopGrace
	cancel context.CancelFunc

	stopping atomic.Bool // Stop was called or the context is done

	mu  sync.Mutex
	err error
}

// handBackDelay is the delay of the naks Stop sends for buffered
// entries. A delayed nak is redelivered by the server's pending timer,
// which redelivers expired entries in stream order; a plain nak goes to
// the redelivery queue, where the server may requeue the first behind
// the others while no pull request waits.
const handBackDelay = 10 * time.Millisecond

// stopCollect bounds the wait for entries still arriving after Stop.
const stopCollect = 250 * time.Millisecond

// streamPoll is how often Subscribe looks for the stream with
// Options.WaitForStream.
const streamPoll = 250 * time.Millisecond

// Subscribe creates or updates the durable consumer opts.Durable on the
// ENVELOPES stream and starts handing entries to h. It returns
// ErrNoDurable, ErrNoHandler or ErrInvalidOption for bad arguments, and
// the JetStream error (wrapped) when the consumer cannot be created — for
// example jetstream.ErrStreamNotFound before the stream exists, unless
// opts.WaitForStream, which waits for it until ctx is done. The
// subscription runs until Stop is called or ctx is done.
func Subscribe(ctx context.Context, js jetstream.JetStream, opts Options, h Handler) (*Subscription, error) {
	if h == nil {
		return nil, ErrNoHandler
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if err := waitForStream(ctx, js, opts); err != nil {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        opts.Durable,
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		FilterSubjects: opts.filterSubjects(),
		MaxDeliver:     opts.MaxDeliver,
		AckWait:        opts.AckWait,
	}
	if opts.DeliverNew {
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
	}
	// The server refuses to change a durable's deliver policy; an existing
	// durable keeps its own, as DeliverNew promises.
	if existing, err := js.Consumer(ctx, subjects.StreamEnvelopes, opts.Durable); err == nil {
		cfg.DeliverPolicy = existing.CachedInfo().Config.DeliverPolicy
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, subjects.StreamEnvelopes, cfg)
	if err != nil {
		return nil, fmt.Errorf("subscriber: consumer %q: %w", opts.Durable, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(opts.Prefetch),
		// Missed heartbeats are how a consumer deleted between two pull
		// requests shows: run checks whether it still exists.
		jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		return nil, fmt.Errorf("subscriber: consume %q: %w", opts.Durable, err)
	}
	runCtx, stop := context.WithCancel(ctx)
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Subscription{opts: opts, h: h, cons: cons, iter: iter, stop: stop, done: make(chan struct{}), hctx: hctx, cancel: cancel}
	// When fetching stops, a running handler gets StopGrace to finish.
	context.AfterFunc(runCtx, func() {
		s.stopping.Store(true)
		iter.Drain()
		t := time.AfterFunc(opts.StopGrace, cancel)
		go func() { <-s.done; t.Stop(); cancel() }()
	})
	go s.run(runCtx)
	return s, nil
}

// waitForStream returns nil once ENVELOPES exists; without
// opts.WaitForStream it does not wait.
func waitForStream(ctx context.Context, js jetstream.JetStream, opts Options) error {
	logged := false
	for {
		_, err := js.Stream(ctx, subjects.StreamEnvelopes)
		if err == nil || !opts.WaitForStream || !errors.Is(err, jetstream.ErrStreamNotFound) {
			if err != nil {
				return fmt.Errorf("subscriber: consumer %q: %w", opts.Durable, err)
			}
			return nil
		}
		if !logged {
			opts.Logger.Info("subscriber: waiting for the stream", "stream", subjects.StreamEnvelopes, "durable", opts.Durable)
			logged = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("subscriber: waiting for stream %s: %w", subjects.StreamEnvelopes, ctx.Err())
		case <-time.After(streamPoll):
		}
	}
}

// Stop ends the subscription: it stops fetching, hands entries buffered
// but not yet handled back to the server at once (they are redelivered
// without waiting for AckWait, in order), lets a running handler finish
// for up to StopGrace before cancelling its context, and waits for it.
// After Stop the handler is not called again. Stop is safe to call more
// than once.
func (s *Subscription) Stop() {
	s.stop()
	<-s.done
}

// Done is closed when the subscription has ended: after Stop, when the
// Subscribe context is done, or on a terminal consumer error (see Err).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err returns why the subscription ended on its own (for example the
// consumer was deleted), or nil while it runs and after Stop or a
// cancelled context.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Consumer returns the underlying JetStream consumer (for its Info).
func (s *Subscription) Consumer() jetstream.Consumer { return s.cons }

func (s *Subscription) run(ctx context.Context) {
	defer close(s.done)
	defer s.iter.Stop()
	// Entries that arrive after Stop (the prefetched buffer) are collected
	// and handed back together once nothing more arrives, so that a nak
	// cannot come straight back into this buffer behind its successors.
	var handBack []jetstream.Msg
	defer func() {
		for _, msg := range handBack {
			if err := msg.NakWithDelay(handBackDelay); err != nil {
				s.opts.Logger.Warn("subscriber: nak on stop", "durable", s.opts.Durable, "err", err)
			}
		}
	}()
	for {
		var (
			msg jetstream.Msg
			err error
		)
		if ctx.Err() == nil {
			msg, err = s.iter.Next(jetstream.NextContext(ctx))
			if err != nil && ctx.Err() != nil {
				continue // stopping: collect what is buffered below
			}
		} else {
			// Drain was called: buffered entries come at once; the
			// iterator closes, or nothing more comes within stopCollect.
			if msg, err = s.iter.Next(jetstream.NextMaxWait(stopCollect)); err != nil {
				return
			}
			handBack = append(handBack, msg)
			continue
		}
		if err != nil {
			if errors.Is(err, jetstream.ErrNoHeartbeat) {
				if _, infoErr := s.cons.Info(ctx); !errors.Is(infoErr, jetstream.ErrConsumerNotFound) {
					continue // a slow or reconnecting server: the iterator pulls again
				}
				err = fmt.Errorf("%w: %w", err, jetstream.ErrConsumerNotFound)
			}
			s.mu.Lock()
			s.err = fmt.Errorf("subscriber: %q: %w", s.opts.Durable, err)
			s.mu.Unlock()
			return
		}
		s.handle(msg)
	}
}
