package subscriber_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/subjects"
	"github.com/countersign/countersign/shared/subscriber"
)

// syncBuffer is a log sink tests can read while the subscription writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gaveUp records the give-up hook's calls.
type gaveUp struct {
	mu   sync.Mutex
	msgs []*subscriber.Message
	errs []error
}

func (g *gaveUp) hook(_ context.Context, m *subscriber.Message, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.msgs = append(g.msgs, m)
	g.errs = append(g.errs, err)
}

func (g *gaveUp) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.msgs)
}

// With default options, a handler that always fails is called MaxDeliver
// times, spaced by the backoff, each failure logged; then the give-up hook
// gets the entry with the last error and its metadata.
func TestFailingHandlerIsBoundedLoggedAndGivenUp(t *testing.T) {
	js := startStream(t)
	logs := &syncBuffer{}
	g := &gaveUp{}
	var calls atomic.Int32
	var delivered []int
	var mu sync.Mutex
	sub, err := subscriber.Subscribe(t.Context(), js, subscriber.Options{
		Durable: "failing", RetryDelay: 20 * time.Millisecond, GiveUp: g.hook,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	}, func(_ context.Context, m *subscriber.Message) error {
		calls.Add(1)
		mu.Lock()
		delivered = append(delivered, m.Delivered)
		mu.Unlock()
		return fmt.Errorf("downstream says no (%d)", m.Delivered)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	start := time.Now()
	e := newChain().publish(t, js, "acme", "e1", envelope.TypeSent)
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if g.count() != 1 {
			return errors.New("not given up yet")
		}
		return nil
	})
	waitSettled(t, sub.Consumer())
	if n := calls.Load(); n != subscriber.DefaultMaxDeliver {
		t.Errorf("handler called %d times, want DefaultMaxDeliver %d", n, subscriber.DefaultMaxDeliver)
	}
	mu.Lock()
	if want := []int{1, 2, 3, 4, 5}; !slices.Equal(delivered, want) {
		t.Errorf("delivery counts %v, want %v", delivered, want)
	}
	mu.Unlock()
	// Four waits of at least half of 20, 40, 80, 160 ms.
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("five deliveries in %v: no backoff between them", took)
	}
	m, gerr := g.msgs[0], g.errs[0]
	if m.Entry.ID != e.ID || m.Delivered != subscriber.DefaultMaxDeliver || m.StreamSeq == 0 || !strings.Contains(gerr.Error(), "(5)") {
		t.Errorf("give-up got %+v, %v", m, gerr)
	}
	if n := strings.Count(logs.String(), "handler failed"); n != subscriber.DefaultMaxDeliver-1 {
		t.Errorf("%d handler failures logged, want %d:\n%s", n, subscriber.DefaultMaxDeliver-1, logs)
	}
	// Given up means terminated: the server does not deliver it again.
	if calls.Load() != subscriber.DefaultMaxDeliver {
		t.Errorf("delivered again after the give-up")
	}
}

// Without a hook, the give-up is logged at error level — never silent —
// and so is an undecodable message, which is given up at once.
func TestGiveUpWithoutHookIsLogged(t *testing.T) {
	js := startStream(t)
	logs := &syncBuffer{}
	g := &gaveUp{}
	for _, hooked := range []bool{false, true} {
		opts := subscriber.Options{Durable: fmt.Sprint("nohook-", hooked), MaxDeliver: 1, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
		if hooked {
			opts.GiveUp = g.hook
		}
		sub, err := subscriber.Subscribe(t.Context(), js, opts, func(context.Context, *subscriber.Message) error {
			return errors.New("no")
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Stop()
	}
	if _, err := js.Publish(t.Context(), "envelope.acme.e0.sent", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	newChain().publish(t, js, "acme", "e1", envelope.TypeSent)
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if n := strings.Count(logs.String(), `"level":"ERROR","msg":"subscriber: giving up on entry"`); n != 2 {
			return fmt.Errorf("%d give-ups logged", n)
		}
		if g.count() != 2 {
			return fmt.Errorf("%d give-ups hooked", g.count())
		}
		return nil
	})
	g.mu.Lock()
	defer g.mu.Unlock()
	if !errors.Is(g.errs[0], subscriber.ErrUndecodable) {
		t.Errorf("undecodable give-up error = %v", g.errs[0])
	}
}

// A handler slower than AckWait runs once: the subscription reports
// progress while it works. The handler sees the headers, too.
func TestSlowHandlerRunsOnce(t *testing.T) {
	js := startStream(t)
	var calls atomic.Int32
	var msgID atomic.Value
	sub, err := subscriber.Subscribe(t.Context(), js, subscriber.Options{Durable: "slow", AckWait: 400 * time.Millisecond},
		func(ctx context.Context, m *subscriber.Message) error {
			calls.Add(1)
			msgID.Store(m.Header.Get(subjects.HeaderMsgID))
			select { // the work of a slow handler: three AckWaits
			case <-time.After(1200 * time.Millisecond):
			case <-ctx.Done():
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	e := newChain().publish(t, js, "acme", "e1", envelope.TypeSent)
	waitFor(t, func() bool { return calls.Load() == 1 })
	waitSettled(t, sub.Consumer())
	if n := calls.Load(); n != 1 {
		t.Errorf("slow handler ran %d times", n)
	}
	if got := msgID.Load(); got != e.MsgID() {
		t.Errorf("handler saw Nats-Msg-Id %v, want %s", got, e.MsgID())
	}
}

// Stop lets the running handler finish and hands buffered entries back at
// once: a new subscription gets them immediately and in order, not after
// AckWait.
func TestStopHandsBufferedEntriesBack(t *testing.T) {
	js := startStream(t)
	c := newChain()
	var want []string
	for _, typ := range []envelope.Type{envelope.TypeSent, envelope.TypeDelivered, envelope.TypeRecipientSigned, envelope.TypeCompleted} {
		want = append(want, c.publish(t, js, "acme", "e1", typ).Subject())
	}
	release := make(chan struct{})
	started := make(chan struct{})
	var finished atomic.Bool
	first := newRecorder()
	opts := subscriber.Options{Durable: "stopper", AckWait: time.Hour}
	sub, err := subscriber.Subscribe(t.Context(), js, opts, func(ctx context.Context, m *subscriber.Message) error {
		if m.Entry.Type == envelope.TypeSent {
			close(started)
			<-release
			finished.Store(true)
		}
		return first.handle(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started // the first entry is in the handler, the others buffered
	stopped := make(chan struct{})
	go func() { sub.Stop(); close(stopped) }()
	close(release)
	<-stopped
	if !finished.Load() {
		t.Fatal("Stop returned before the running handler finished")
	}
	// Entries the first subscription handled before Stop took hold are
	// acked; the rest must come to the next one now (AckWait is an hour),
	// in order.
	done := first.subjects()
	rec := newRecorder()
	sub2, err := subscriber.Subscribe(t.Context(), js, opts, rec.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Stop()
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if got := append(slices.Clone(done), rec.subjects()...); !slices.Equal(got, want) {
			return fmt.Errorf("first handled %v, second %v, want %v in all", done, rec.subjects(), want)
		}
		return nil
	})
}

// Subscribe with WaitForStream waits for countersign to create ENVELOPES,
// then consumes; without it, it fails at once (TestSubscribeWithoutStream).
func TestSubscribeWaitsForStream(t *testing.T) {
	n := meshtest.StartNATS(t)
	rec := newRecorder()
	type result struct {
		sub *subscriber.Subscription
		err error
	}
	got := make(chan result, 1)
	go func() {
		sub, err := subscriber.Subscribe(t.Context(), n.JS, subscriber.Options{Durable: "patient", WaitForStream: true}, rec.handle)
		got <- result{sub, err}
	}()
	select {
	case r := <-got:
		t.Fatalf("Subscribe returned before the stream existed: %v", r.err)
	case <-time.After(300 * time.Millisecond): // long enough for a premature return to show
	}
	if _, err := n.JS.CreateStream(t.Context(), jetstream.StreamConfig{Name: subjects.StreamEnvelopes, Subjects: []string{"envelope.>"}}); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.sub.Stop()
	e := newChain().publish(t, n.JS, "acme", "e1", envelope.TypeSent)
	waitFor(t, func() bool { return rec.callsFor(e.ID) == 1 })

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	m := meshtest.StartNATS(t)
	if _, err := subscriber.Subscribe(ctx, m.JS, subscriber.Options{Durable: "bounded", WaitForStream: true}, rec.handle); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past the context: err = %v, want DeadlineExceeded", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if !cond() {
			return errors.New("not yet")
		}
		return nil
	})
}
