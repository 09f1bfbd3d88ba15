package subscriber

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
)

// handle runs the handler on one message and settles it: ack on success,
// nak after the backoff on failure, give-up hook and Term on the last
// delivery or an undecodable message. Settle errors are logged, not
// fatal: an entry whose ack was lost is redelivered, which at-least-once
// handlers tolerate.
func (s *Subscription) handle(msg jetstream.Msg) {
	var e envelope.Entry
	if err := json.Unmarshal(msg.Data(), &e); err != nil {
		// No retry can make a malformed entry decodable.
		s.giveUp(newMessage(msg, envelope.Entry{}), fmt.Errorf("%w: %w", ErrUndecodable, err))
		return
	}
	m := newMessage(msg, e)
	stop := keepAlive(msg, s.opts.AckWait/2)
	err := s.call(m)
	stop()
	log := s.opts.Logger.With("durable", s.opts.Durable, "subject", m.Subject, "stream_seq", m.StreamSeq, "delivered", m.Delivered)
	switch {
	case err == nil:
		if aerr := msg.Ack(); aerr != nil {
			log.Warn("subscriber: ack", "err", aerr)
		}
	case s.stopping.Load():
		// Cut short by Stop: not the entry's fault, so no backoff — it goes
		// back with the buffered entries, ahead of them.
		if nerr := msg.NakWithDelay(handBackDelay); nerr != nil {
			log.Warn("subscriber: nak on stop", "err", nerr)
		}
	case m.LastAttempt(s.opts.MaxDeliver):
		s.giveUp(m, err)
	default:
		delay := s.opts.retryDelay(m.Delivered)
		log.Warn("subscriber: handler failed, entry will be redelivered", "err", err, "retry_in", delay)
		if nerr := msg.NakWithDelay(delay); nerr != nil {
			log.Warn("subscriber: nak", "err", nerr)
		}
	}
}

// giveUp hands m to the give-up hook (or logs it) and terminates it, so
// the server neither redelivers it nor drops it without a word.
func (s *Subscription) giveUp(m *Message, err error) {
	if s.opts.GiveUp != nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.opts.Logger.Error("subscriber: give-up hook panicked", "durable", s.opts.Durable, "panic", r)
				}
			}()
			s.opts.GiveUp(s.hctx, m, err)
		}()
	} else {
		s.opts.Logger.Error("subscriber: giving up on entry", "durable", s.opts.Durable, "subject", m.Subject,
			"stream_seq", m.StreamSeq, "delivered", m.Delivered, "err", err)
	}
	if terr := m.msg.TermWithReason("subscriber gave up"); terr != nil {
		s.opts.Logger.Warn("subscriber: term", "durable", s.opts.Durable, "err", terr)
	}
}

// call runs the handler, turning a panic into an error so one bad entry
// cannot take the whole process down.
func (s *Subscription) call(m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrHandlerPanic, r)
		}
	}()
	return s.h(s.hctx, m)
}

// keepAlive sends InProgress for msg every interval until stop is
// called, so a handler slower than AckWait is not redelivered under it.
func keepAlive(msg jetstream.Msg, every time.Duration) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	var (
		mu   sync.Mutex
		t    *time.Timer
		done bool
	)
	mu.Lock()
	t = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		_ = msg.InProgress()
		t.Reset(every)
	})
	mu.Unlock()
	return func() {
		mu.Lock()
		done = true
		t.Stop()
		mu.Unlock()
	}
}
