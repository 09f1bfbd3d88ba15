package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// nextErrorPause spaces out Next errors that are not a closed iterator
// (missed heartbeats while the server is away), so they do not spin.
const nextErrorPause = 250 * time.Millisecond

// Worker consumes one durable pull consumer with a bounded pool of
// handlers and settles every message by the handler's verdict.
type Worker struct {
	js    jetstream.JetStream
	cfg   WorkerConfig
	h     Handler
	pause pauser
	// runCtx is Run's context: a pause lives as long as the worker runs.
	runCtx    context.Context
	consumers []string
}

// NewWorker returns a worker that runs h, wrapped in mw (mw[0] outermost),
// on cfg's consumer. A panic recovery wraps everything, so a panicking
// handler dead-letters its message instead of killing the process. It
// returns an error wrapping ErrInvalidConfig for an incomplete cfg or a
// nil h.
func NewWorker(js jetstream.JetStream, cfg WorkerConfig, h Handler, mw ...Middleware) (*Worker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if js == nil || h == nil {
		return nil, fmt.Errorf("%w: nil JetStream or handler", ErrInvalidConfig)
	}
	all := append([]Middleware{Recover()}, mw...)
	w := &Worker{js: js, cfg: cfg, h: Chain(h, all...)}
	w.pause.w = w
	return w, nil
}

// Run consumes until ctx is done, then stops fetching, hands messages
// still buffered back to the server (nak), waits for in-flight handlers
// and settles them, and returns nil. In-flight handlers' context is
// cancelled only ShutdownGrace after ctx is done. Run returns an error if
// the consumer cannot be found or the connection closes under it.
//
// On a partitioned stream (RAW, STATE) cfg.Consumer names a family: Run
// pulls every partition's durable at once and handles each partition the
// server pins to it in lanes (see lanes), so an envelope's messages are
// handled in the order stored.
func (w *Worker) Run(ctx context.Context) error {
	names, err := consumerNames(ctx, w.js, w.cfg.Stream, w.cfg.Consumer)
	if err != nil {
		return fmt.Errorf("bus: worker %s: consumers %s on %s: %w", w.cfg.Service, w.cfg.Consumer, w.cfg.Stream, err)
	}
	// Set before any handler runs: a pause lives as long as Run and
	// covers every partition's durable.
	w.runCtx, w.consumers = ctx, names
	if len(names) == 1 && names[0] == w.cfg.Consumer {
		return w.consumeLoop(ctx, names[0], w.cfg.Concurrency, w.cfg.Batch)
	}
	// One failing partition (its consumer deleted, the connection closed)
	// stops them all: a worker that silently skips a partition would
	// strand its envelopes.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Go(func() {
			if err := w.consumeLoop(ctx, name, 0, 0); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// consumeLoop runs consume (concurrency 0: in lanes, for a partition)
// and, once it has attached, attaches again
// whenever the consumer is lost under it (JetStream restarted or turned
// off after a full disk, a NATS node lost): a store or connection error is
// never fatal to the process. It gives up only when the connection is
// closed for good, or when the first attach fails (a missing consumer at
// start is a deployment error).
func (w *Worker) consumeLoop(ctx context.Context, consumer string, concurrency, batch int) error {
	attached, err := w.consume(ctx, consumer, concurrency, batch)
	if !attached {
		return err
	}
	backoff := 250 * time.Millisecond
	for err != nil && ctx.Err() == nil {
		if nc := w.js.Conn(); nc != nil && nc.IsClosed() {
			return err
		}
		w.cfg.Logger.Warn("bus: consumer lost; attaching again", "service", w.cfg.Service, "consumer", consumer, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
		var again bool
		again, err = w.consume(ctx, consumer, concurrency, batch)
		if again {
			backoff = 250 * time.Millisecond
		}
	}
	return nil
}

// consume runs one durable consumer with a pool of concurrency handlers,
// or, with concurrency 0, a partition's consumer in lanes. attached
// reports whether it got as far as consuming.
func (w *Worker) consume(ctx context.Context, consumer string, concurrency, batch int) (attached bool, _ error) {
	cons, err := w.js.Consumer(ctx, w.cfg.Stream, consumer)
	if err != nil {
		return false, fmt.Errorf("bus: worker %s: consumer %s on %s: %w", w.cfg.Service, consumer, w.cfg.Stream, err)
	}
	info := cons.CachedInfo()
	var ackWait time.Duration
	if info != nil {
		ackWait = info.Config.AckWait
	}
	opts := []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(batch)}
	inLanes := concurrency == 0
	if inLanes {
		opts = laneOpts(info)
	}
	iter, err := cons.Messages(opts...)
	if err != nil {
		return false, fmt.Errorf("bus: worker %s: consume %s: %w", w.cfg.Service, consumer, err)
	}
	defer iter.Stop()
	// Handlers outlive ctx by ShutdownGrace: a verdict is worth waiting for.
	hctx, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()
	stopWatch := context.AfterFunc(ctx, func() {
		iter.Drain()
		time.AfterFunc(w.cfg.ShutdownGrace, hardStop)
	})
	defer stopWatch()

	if inLanes {
		ls := newLanes(w, ctx, hctx, ackWait)
		ls.gate(ctx, cons, 3*ackWait)
		runErr := w.feed(ctx, iter, true, func(msg jetstream.Msg) bool {
			ls.add(msg)
			return true
		})
		ls.wait()
		return true, runErr
	}
	jobs := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for msg := range jobs {
				w.process(hctx, msg, ackWait)
			}
		})
	}
	runErr := w.feed(ctx, iter, false, func(msg jetstream.Msg) bool {
		select {
		case jobs <- msg:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(jobs)
	wg.Wait()
	return true, runErr
}

// feed passes messages on until the iterator closes. Messages that arrive
// after ctx is done (the drained buffer), or that pass refuses, are nak'ed
// at once so another replica takes them without waiting for AckWait. A
// pool hands back what was buffered before a pause; lanes (holdPaused)
// keep it, in order, and wait in the lane for the dependency instead.
func (w *Worker) feed(ctx context.Context, iter jetstream.MessagesContext, holdPaused bool, pass func(jetstream.Msg) bool) error {
	for {
		msg, err := iter.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("bus: worker %s: %w", w.cfg.Service, err)
			}
			if ctx.Err() != nil {
				return nil
			}
			w.cfg.Logger.Warn("bus: fetching messages", "service", w.cfg.Service, "consumer", w.cfg.Consumer, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(nextErrorPause):
			}
			continue
		}
		if ctx.Err() != nil {
			w.handBack(msg)
			continue
		}
		if !holdPaused && w.pause.pausedNow() {
			// Buffered before the pause: back to the server, to come
			// again once the consumer resumes.
			if err := msg.NakWithDelay(w.cfg.ProbeEvery); err != nil {
				w.cfg.Logger.Debug("bus: nak while paused", "service", w.cfg.Service, "err", err)
			}
			continue
		}
		if !pass(msg) {
			w.handBack(msg)
		}
	}
}

func (w *Worker) handBack(msg jetstream.Msg) {
	if err := msg.Nak(); err != nil {
		w.cfg.Logger.Warn("bus: nak on shutdown", "service", w.cfg.Service, "err", err)
	}
}

// process runs the handler on one delivery and settles it.
func (w *Worker) process(ctx context.Context, msg jetstream.Msg, ackWait time.Duration) {
	start := time.Now()
	m, err := newMessage(w.cfg.Service, msg)
	if err != nil {
		// Not a JetStream delivery: nothing to settle it against.
		w.cfg.Logger.Error("bus: message without metadata", "service", w.cfg.Service, "subject", msg.Subject(), "err", err)
		return
	}
	stop := keepAlive(msg, ackWait/2)
	herr := w.h(ctx, m)
	stop()
	w.settle(msg, m, herr, start)
}

// settle acks, naks or dead-letters msg by the handler's verdict herr.
func (w *Worker) settle(msg jetstream.Msg, m *Message, herr error, start time.Time) {
	if delay, again := w.decide(msg, m, herr, start); again {
		w.nak(msg, m, delay)
	}
}

// decide acks or dead-letters msg by the handler's verdict herr, or, when
// it is to be tried again, returns after how long (the pool naks it with
// that delay; a lane waits and runs it again, so nothing overtakes it).
// Transient errors cost time, not a fixed number of deliveries (see
// RetryPolicy); a dependency outage (Unavailable) pauses the consumer and
// never dead-letters; the consumer's MaxDeliver stays the hard ceiling.
func (w *Worker) decide(msg jetstream.Msg, m *Message, herr error, start time.Time) (delay time.Duration, again bool) {
	u, down := asUnavailable(herr)
	switch {
	case herr == nil:
		if err := msg.Ack(); err != nil {
			w.cfg.Logger.Warn("bus: ack", "service", w.cfg.Service, "stream", m.Stream, "seq", m.StreamSeq, "err", err)
		}
		return 0, false
	case IsPermanent(herr):
		return w.deadLetter(msg, m, herr, ErrorClass(herr), start)
	case m.Delivered >= w.cfg.MaxDeliver:
		return w.deadLetter(msg, m, herr, ClassTransient, start)
	case down:
		w.pause.start(w.runCtx, u)
		return w.cfg.ProbeEvery, true
	case w.cfg.Retry.Exhausted(m.Delivered, time.Since(m.Timestamp)):
		return w.deadLetter(msg, m, herr, ClassTransient, start)
	default:
		delay, ok := retryAfter(herr)
		if !ok {
			delay = w.cfg.Retry.Delay(m.Delivered)
		}
		return delay, true
	}
}

func (w *Worker) nak(msg jetstream.Msg, m *Message, delay time.Duration) {
	if err := msg.NakWithDelay(delay); err != nil {
		w.cfg.Logger.Warn("bus: nak", "service", w.cfg.Service, "stream", m.Stream, "seq", m.StreamSeq, "err", err)
	}
}

// deadLetter writes m to the DLQ and only then Terms it; when the DLQ
// write fails the message is kept (again: nak'ed or retried in its lane),
// so nothing is lost.
func (w *Worker) deadLetter(msg jetstream.Msg, m *Message, herr error, class string, start time.Time) (time.Duration, bool) {
	dl := newDeadLetter(m, herr, class, start)
	if err := publishDeadLetter(w.js, dl); err != nil {
		w.cfg.Logger.Error("bus: dead letter not written, message kept", "service", w.cfg.Service,
			"stream", m.Stream, "seq", m.StreamSeq, "class", class, "err", err)
		return transientDelay(m.Delivered), true
	}
	w.cfg.Metrics.deadLettered(w.cfg.Service, class)
	w.cfg.Logger.Warn("bus: dead-lettered", "service", w.cfg.Service, "id", dl.ID,
		"stream", m.Stream, "seq", m.StreamSeq, "class", class, "attempts", m.Delivered, "err", herr)
	if err := msg.TermWithReason("dead-lettered " + class); err != nil {
		w.cfg.Logger.Warn("bus: term", "service", w.cfg.Service, "err", err)
	}
	return 0, false
}

// keepAlive sends InProgress for msg every interval until stop is
// called, so a handler slower than AckWait is not redelivered under it.
// It costs one timer per message; fast handlers never see it fire.
func keepAlive(msg jetstream.Msg, every time.Duration) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	var (
		mu   sync.Mutex
		t    *time.Timer
		done bool
	)
	tick := func() {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		_ = msg.InProgress()
		t.Reset(every)
	}
	mu.Lock()
	t = time.AfterFunc(every, tick)
	mu.Unlock()
	return func() {
		mu.Lock()
		done = true
		t.Stop()
		mu.Unlock()
	}
}
