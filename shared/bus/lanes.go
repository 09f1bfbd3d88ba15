package bus

import (
	"cmp"
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
	// The gate (see gate): while gated, every message is held back;
	// owning is false until this worker's first message; wake tells the
	// gate it has something to hold.
	gated  bool
	owning bool
	held   []jetstream.Msg
	wake   chan struct{}
	// stopGate ends the gate, handing what it holds back.
	stopGate func()
}

func newLanes(w *Worker, ctx, hctx context.Context, ackWait time.Duration) *lanes {
	key := func(subject string) string { return subject }
	if p, ok := partitionOf(w.cfg.Stream); ok {
		key = p.laneKey
	}
	return &lanes{w: w, ctx: ctx, hctx: hctx, ackWait: ackWait, key: key, queued: map[string][]jetstream.Msg{},
		wake: make(chan struct{}, 1)}
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

// add queues msg in its lane, starting the lane if it was idle, or holds
// it back while the lanes are gated. The first message of this worker
// (it has become the partition's owner) and any message the server
// delivers again (it was another owner's, or came back) close the gate.
func (l *lanes) add(msg jetstream.Msg) {
	l.mu.Lock()
	if !l.gated && (!l.owning || redelivered(msg)) {
		l.gated = true
	}
	l.owning = true
	if l.gated {
		l.held = append(l.held, msg)
		l.mu.Unlock()
		select {
		case l.wake <- struct{}{}:
		default:
		}
		return
	}
	k, start := l.enqueueLocked(msg)
	l.mu.Unlock()
	if start {
		l.wg.Go(func() { l.run(k) })
	}
}

// enqueueLocked appends msg to its lane and reports whether the lane was
// idle (its goroutine is for the caller to start, outside the lock).
func (l *lanes) enqueueLocked(msg jetstream.Msg) (key string, start bool) {
	k := l.key(msg.Subject())
	q, busy := l.queued[k]
	l.queued[k] = append(q, msg)
	return k, !busy
}

// streamSeq is msg's sequence in its stream (0 when it has no metadata).
func streamSeq(msg jetstream.Msg) uint64 {
	md, err := msg.Metadata()
	if err != nil {
		return 0
	}
	return md.Sequence.Stream
}

// redelivered reports whether the server has delivered msg before.
func redelivered(msg jetstream.Msg) bool {
	md, err := msg.Metadata()
	return err == nil && md.NumDelivered > 1
}

// gate keeps an envelope's messages in stored order across a change of
// owner. The server does not redeliver in stored order: a message still
// unacked when its owner died comes back after AckWait, while one that
// was on its way to the dead owner comes back at once, and new messages
// come at once too — a test saw an envelope's second message redelivered
// before its first. So when this worker becomes the owner (its first
// message) or is handed a message delivered before, the gate closes:
// everything is held until the server counts no unsettled message that
// is not in this worker's hands, and then joins its lane sorted by
// stream sequence — stored order. For a worker that simply starts, that
// is one consumer-info request. patience bounds the wait, counted from
// the first message held: past it the gate opens with a warning rather
// than hold a partition for an owner that is slow but alive.
func (l *lanes) gate(ctx context.Context, cons jetstream.Consumer, patience time.Duration) {
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	l.stopGate = func() { cancel(); <-done }
	go func() {
		defer close(done)
		for {
			select {
			case <-gctx.Done():
				l.release(false)
				return
			case <-l.wake:
			}
			if l.heldCount() > 0 {
				l.settle(gctx, cons, patience)
			}
		}
	}()
}

// settle waits, the gate closed, until the server's unsettled messages
// are all in this worker's hands (or patience runs out, or ctx ends), and
// opens the gate.
func (l *lanes) settle(ctx context.Context, cons jetstream.Consumer, patience time.Duration) {
	t := time.NewTicker(gatePoll)
	defer t.Stop()
	since, lastProgress := time.Now(), time.Now()
	for {
		info, err := cons.Info(ctx)
		if err == nil && info.NumAckPending <= l.holding() {
			l.release(true)
			return
		}
		if time.Since(since) >= patience {
			l.w.cfg.Logger.Warn("bus: messages of a former owner still unsettled; going on", "service", l.w.cfg.Service,
				"stream", l.w.cfg.Stream)
			l.release(true)
			return
		}
		if time.Since(lastProgress) >= l.ackWait/2 {
			// Held, not forgotten: no redelivery while they wait.
			l.progressHeld()
			lastProgress = time.Now()
		}
		select {
		case <-ctx.Done():
			return // gate's loop hands back what is held
		case <-t.C:
		}
	}
}

// heldCount is how many messages the gate holds.
func (l *lanes) heldCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

// progressHeld tells the server the held messages are in hand.
func (l *lanes) progressHeld() {
	l.mu.Lock()
	held := slices.Clone(l.held)
	l.mu.Unlock()
	for _, msg := range held {
		_ = msg.InProgress()
	}
}

// gatePoll is how often a gate asks the server what is still unsettled.
const gatePoll = 100 * time.Millisecond

// holding is how many delivered messages this worker holds: queued in
// lanes (the running ones included) or held back by the gate.
func (l *lanes) holding() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.held)
	for _, q := range l.queued {
		n += len(q)
	}
	return n
}

// release opens the gate: the held messages join their lanes in stored
// order (run), or go back to the server (a gate stopped by shutdown).
func (l *lanes) release(run bool) {
	l.mu.Lock()
	held := l.held
	l.gated, l.held = false, nil
	var start []string
	if run && l.ctx.Err() == nil {
		// Stored order, whatever order they came in.
		slices.SortStableFunc(held, func(a, b jetstream.Msg) int { return cmp.Compare(streamSeq(a), streamSeq(b)) })
		for _, msg := range held {
			if k, s := l.enqueueLocked(msg); s {
				start = append(start, k)
			}
		}
		held = nil
	}
	l.mu.Unlock()
	for _, msg := range held {
		l.w.handBack(msg)
	}
	for _, k := range start {
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

// wait returns once every lane has stopped, and hands back what a gate
// still holds.
func (l *lanes) wait() {
	if l.stopGate != nil {
		l.stopGate()
	}
	l.wg.Wait()
	l.mu.Lock()
	held := l.held
	l.held = nil
	l.mu.Unlock()
	for _, msg := range held {
		l.w.handBack(msg)
	}
}

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
