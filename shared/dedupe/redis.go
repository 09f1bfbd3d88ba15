package dedupe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// releaseScript deletes KEYS[1] only when it still holds ARGV[1]: a plain
// DEL after a GET could delete a lock another worker took after ours
// expired.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// pipelineTimeout bounds one pipeline round trip; it runs apart from the
// callers' contexts, which only bound their own wait.
const pipelineTimeout = 5 * time.Second

// maxPipeline bounds the commands sent in one round trip.
const maxPipeline = 512

// Redis is a Locker on Redis: SET key token NX PX ttl. Expiry is per key
// and exact to the millisecond.
//
// Calls made while a round trip is under way are sent together in the
// next one (a pipeline: one write, one read, for every lock taken or
// released meanwhile). A worker handling many events at once thus pays a
// socket round trip per batch rather than two per event, and the lock
// itself is unchanged: each command is the same SET NX or compare-and-
// delete, answered on its own.
type Redis struct {
	client redis.UniversalClient

	mu sync.Mutex
	// queue holds calls waiting for the next round trip; flushing is
	// true while some caller is sending one.
	queue    []*lockOp
	flushing bool
}

// lockOp is one Acquire (ttl > 0) or Release waiting for its round trip.
type lockOp struct {
	key, token string
	ttl        time.Duration
	err        error
	// done is closed when err is set; lead is closed when this caller is
	// to send the next round trip itself.
	done, lead chan struct{}
}

var _ Locker = (*Redis)(nil)

// NewRedis returns a Locker on client (a single node, Sentinel or Cluster
// client).
func NewRedis(client redis.UniversalClient) *Redis {
	return &Redis{client: client}
}

// Acquire implements Locker.
func (r *Redis) Acquire(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if ttl < time.Millisecond {
		return "", fmt.Errorf("%w: %s", ErrInvalidTTL, ttl)
	}
	op := &lockOp{key: key, token: newToken(), ttl: ttl}
	if err := r.do(ctx, op); err != nil {
		return "", err
	}
	return op.token, nil
}

// Release implements Locker.
func (r *Redis) Release(ctx context.Context, key, token string) error {
	return r.do(ctx, &lockOp{key: key, token: token})
}

// do queues op and waits for its answer. The first caller to find no
// round trip under way sends one with everything queued; when it has its
// own answer it hands the next round trip to the first caller still
// waiting, so no caller serves others for long. A caller whose ctx ends
// stops waiting; its command may still be sent (a lock so taken expires
// with its TTL).
func (r *Redis) do(ctx context.Context, op *lockOp) error {
	op.done, op.lead = make(chan struct{}), make(chan struct{})
	r.mu.Lock()
	r.queue = append(r.queue, op)
	lead := !r.flushing
	r.flushing = true
	r.mu.Unlock()
	if !lead {
		select {
		case <-op.done:
			return op.err
		case <-op.lead:
		case <-ctx.Done():
			if r.withdraw(op) {
				return fmt.Errorf("dedupe: redis %s: %w", op.key, ctx.Err())
			}
			// Already sent, or just made the one to send: carry on.
			select {
			case <-op.done:
				return op.err
			case <-op.lead:
			}
		}
	}
	for {
		r.mu.Lock()
		n := min(len(r.queue), maxPipeline)
		batch := r.queue[:n:n]
		r.queue = r.queue[n:]
		r.mu.Unlock()
		r.send(batch)
		select {
		case <-op.done:
		default:
			continue // op was beyond this batch
		}
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.flushing = false
		} else {
			close(r.queue[0].lead)
		}
		r.mu.Unlock()
		return op.err
	}
}

// withdraw takes op out of the queue unless it was sent already or made
// to lead, and reports whether it did.
func (r *Redis) withdraw(op *lockOp) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-op.lead:
		return false
	default:
	}
	i := slices.Index(r.queue, op)
	if i < 0 {
		return false
	}
	r.queue = slices.Delete(r.queue, i, i+1)
	return true
}

// send runs batch as one pipeline and answers each call.
func (r *Redis) send(batch []*lockOp) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), pipelineTimeout)
	defer cancel()
	cmds := make([]redis.Cmder, len(batch))
	pipe := r.client.Pipeline()
	for i, op := range batch {
		if op.ttl > 0 {
			cmds[i] = pipe.SetArgs(ctx, op.key, op.token, redis.SetArgs{Mode: "NX", TTL: op.ttl})
		} else {
			cmds[i] = releaseScript.Eval(ctx, pipe, []string{op.key}, op.token)
		}
	}
	// Each command's own error is read below; Exec's is the first of them.
	_, _ = pipe.Exec(ctx)
	for i, op := range batch {
		err := cmds[i].Err()
		switch {
		case op.ttl > 0 && errors.Is(err, redis.Nil):
			op.err = fmt.Errorf("dedupe: %s: %w", op.key, ErrHeld)
		case op.ttl > 0 && err != nil:
			op.err = fmt.Errorf("dedupe: redis set %s: %w", op.key, err)
		case op.ttl == 0 && err != nil && !errors.Is(err, redis.Nil):
			op.err = fmt.Errorf("dedupe: redis release %s: %w", op.key, err)
		}
		close(op.done)
	}
}
