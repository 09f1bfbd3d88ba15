package bus

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// lanes handle one partition's messages: a lane per envelope (the tokens
// the partition hashes), each running its messages one after the other in
// the order the server delivered them — stored order — while different
// envelopes run in parallel. The server bounds the messages held at once
// (the consumer's MaxAckPending).
//
// A message whose verdict is "try again" is retried in its lane, after the
// delay a nak would have had, while the lane holds everything behind it:
// a nak would let the server deliver the envelope's next message first.
// Its attempts still count as deliveries (Message.Delivered), so the retry
// budget, MaxDeliver and the DLQ work as for a nak'ed message. Only at
// shutdown is a lane handed back to the server, in order.
type lanes struct {
	w *Worker
	// ctx is Run's (done: stop taking work); hctx the handlers' (it
	// outlives ctx by ShutdownGrace).
	ctx, hctx context.Context
	ackWait   time.Duration
	key       func(subject string) string

	mu sync.Mutex
	// queued holds each busy lane's messages, the one running first; a
	// lane is busy (has a goroutine) exactly while it has a key here.
	queued map[string][]jetstream.Msg
	wg     sync.WaitGroup
}

func newLanes(w *Worker, ctx, hctx context.Context, ackWait time.Duration) *lanes {
	key := func(subject string) string { return subject }
	if p, ok := partitionOf(w.cfg.Stream); ok {
		key = p.laneKey
	}
	return &lanes{w: w, ctx: ctx, hctx: hctx, ackWait: ackWait, key: key, queued: map[string][]jetstream.Msg{}}
}

// laneOpts are the pull options of a partition's consumer: as many
// messages as it may have in flight, in its priority group when it is
// pinned, with pull requests renewed well within the pin's TTL so a busy
// owner never loses its partition.
func laneOpts(info *jetstream.ConsumerInfo) []jetstream.PullMessagesOpt {
	if info == nil {
		return []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(1)}
	}
	c := info.Config
	opts := []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(max(1, c.MaxAckPending))}
	if c.PriorityPolicy == jetstream.PriorityPolicyPinned && len(c.PriorityGroups) > 0 {
		opts = append(opts, jetstream.PullPriorityGroup(c.PriorityGroups[0]))
		if c.PinnedTTL > 0 {
			opts = append(opts, jetstream.PullExpiry(max(time.Second, min(30*time.Second, c.PinnedTTL/4))))
		}
	}
	return opts
}

// add queues msg in its lane, starting the lane if it was idle.
func (l *lanes) add(msg jetstream.Msg) {
	k := l.key(msg.Subject())
	l.mu.Lock()
	q, busy := l.queued[k]
	l.queued[k] = append(q, msg)
	l.mu.Unlock()
	if !busy {
		l.wg.Go(func() { l.run(k) })
	}
}

// run works through lane k until it is empty, or hands the rest back at
// shutdown.
func (l *lanes) run(k string) {
	for {
		l.mu.Lock()
		q := l.queued[k]
		if len(q) == 0 {
			delete(l.queued, k)
			l.mu.Unlock()
			return
		}
		msg := q[0]
		l.mu.Unlock()
		if !l.w.processInLane(l.ctx, l.hctx, msg, l.ackWait, func() []jetstream.Msg { return l.behind(k) }) {
			l.mu.Lock()
			rest := l.queued[k]
			delete(l.queued, k)
			l.mu.Unlock()
			for _, m := range rest {
				l.w.handBack(m)
			}
			return
		}
		l.mu.Lock()
		q = l.queued[k]
		q[0] = nil
		l.queued[k] = q[1:]
		l.mu.Unlock()
	}
}

// behind returns a copy of the messages queued behind lane k's head.
func (l *lanes) behind(k string) []jetstream.Msg {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queued[k]
	if len(q) < 2 {
		return nil
	}
	return slices.Clone(q[1:])
}

// wait returns once every lane has stopped.
func (l *lanes) wait() { l.wg.Wait() }

// processInLane runs the handler on msg until its verdict settles it, and
// reports true; false means shutdown came first and msg is not settled.
func (w *Worker) processInLane(ctx, hctx context.Context, msg jetstream.Msg, ackWait time.Duration, following func() []jetstream.Msg) bool {
	if ctx.Err() != nil {
		return false
	}
	start := time.Now()
	m, err := newMessage(w.cfg.Service, msg)
	if err != nil {
		w.cfg.Logger.Error("bus: message without metadata", "service", w.cfg.Service, "subject", msg.Subject(), "err", err)
		return true
	}
	m.following = following
	stop := keepAlive(msg, ackWait/2)
	defer stop()
	for {
		delay, again := w.decide(msg, m, w.h(hctx, m), start)
		if !again {
			return true
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		m.Delivered++
	}
}
