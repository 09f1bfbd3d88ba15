// Package subscriber lets a Go service consume countersign's public
// envelope subjects (stream ENVELOPES, envelope.<tenant>.<envelope>.<type>)
// with a durable, explicit-ack consumer in a few lines:
//
//	sub, err := subscriber.Subscribe(ctx, js, subscriber.Options{Durable: "billing"},
//		func(ctx context.Context, e envelope.Entry, raw []byte) error {
//			return bill(ctx, e) // nil acks; an error redelivers the entry
//		})
//	defer sub.Stop()
//
// Delivery is at least once: a handler must tolerate seeing an entry again
// (the entry's id and seq make that easy).
package subscriber

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// Handler processes one ledger entry; raw is the message as published.
// Returning nil acknowledges the entry; an error negatively acknowledges
// it, so it is delivered again (after Options.RetryDelay) until
// Options.MaxDeliver is reached. ctx is cancelled when the subscription
// stops.
type Handler func(ctx context.Context, e envelope.Entry, raw []byte) error

// Subscription is a running subscription. Entries are handed to the
// handler one at a time, in stream order (redeliveries aside).
type Subscription struct {
	opts   Options
	h      Handler
	cons   jetstream.Consumer
	iter   jetstream.MessagesContext
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	err error
}

// Subscribe creates or updates the durable consumer opts.Durable on the
// ENVELOPES stream and starts handing entries to h. It returns
// ErrNoDurable, ErrNoHandler or ErrInvalidOption for bad arguments, and
// the JetStream error (wrapped) when the consumer cannot be created — for
// example jetstream.ErrStreamNotFound before the stream exists.
// The subscription runs until Stop is called or ctx is done.
func Subscribe(ctx context.Context, js jetstream.JetStream, opts Options, h Handler) (*Subscription, error) {
	if h == nil {
		return nil, ErrNoHandler
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Prefetch == 0 {
		opts.Prefetch = 64
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
	if existing, err := js.Consumer(ctx, bus.StreamEnvelopes, opts.Durable); err == nil {
		cfg.DeliverPolicy = existing.CachedInfo().Config.DeliverPolicy
	}
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = -1
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamEnvelopes, cfg)
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
	runCtx, cancel := context.WithCancel(ctx)
	s := &Subscription{opts: opts, h: h, cons: cons, iter: iter, cancel: cancel, done: make(chan struct{})}
	go s.run(runCtx)
	return s, nil
}

// Stop ends the subscription and waits until the handler has returned;
// after Stop the handler is not called again. Entries buffered but not yet
// handled are redelivered (to this durable) after AckWait. Stop is safe to
// call more than once.
func (s *Subscription) Stop() {
	s.cancel()
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
	for {
		msg, err := s.iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return
			}
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
		s.handle(ctx, msg)
	}
}

// handle runs the handler on one message and acknowledges accordingly.
// Ack errors are not fatal: an entry whose ack was lost is redelivered,
// which at-least-once handlers tolerate.
func (s *Subscription) handle(ctx context.Context, msg jetstream.Msg) {
	log := s.opts.logger().With("durable", s.opts.Durable, "subject", msg.Subject())
	var e envelope.Entry
	if err := json.Unmarshal(msg.Data(), &e); err != nil {
		// No retry can make a malformed entry decodable.
		log.Error("subscriber: undecodable ledger entry, terminated", "err", err)
		_ = msg.Term()
		return
	}
	if err := s.call(ctx, e, msg.Data()); err != nil {
		var delivered uint64 = 1
		if md, mdErr := msg.Metadata(); mdErr == nil {
			delivered = md.NumDelivered
		}
		if d := s.opts.retryDelay(delivered); d > 0 {
			_ = msg.NakWithDelay(d)
		} else {
			_ = msg.Nak()
		}
		return
	}
	_ = msg.Ack()
}

// call runs the handler, turning a panic into an error so one bad entry
// cannot take the whole process down.
func (s *Subscription) call(ctx context.Context, e envelope.Entry, raw []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("subscriber: handler panic: %v", r)
			s.opts.logger().Error("subscriber: handler panicked", "durable", s.opts.Durable, "panic", r)
		}
	}()
	return s.h(ctx, e, raw)
}
