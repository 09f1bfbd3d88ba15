package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/dedupe"
	"github.com/countersign/countersign/shared/meshtest"
)

func TestNewWorkerValidates(t *testing.T) {
	r := newRig(t, bus.Topology{})
	noop := func(context.Context, *bus.Message) error { return nil }
	tests := []struct {
		name string
		cfg  bus.WorkerConfig
		h    bus.Handler
	}{
		{"no service", bus.WorkerConfig{Stream: "S", Consumer: "c"}, noop},
		{"no stream", bus.WorkerConfig{Service: "s", Consumer: "c"}, noop},
		{"no consumer", bus.WorkerConfig{Service: "s", Stream: "S"}, noop},
		{"negative concurrency", bus.WorkerConfig{Service: "s", Stream: "S", Consumer: "c", Concurrency: -1}, noop},
		{"nil handler", bus.WorkerConfig{Service: "s", Stream: "S", Consumer: "c"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := bus.NewWorker(r.js, tt.cfg, tt.h); !errors.Is(err, bus.ErrInvalidConfig) {
				t.Fatalf("err %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestRunFailsOnMissingConsumer(t *testing.T) {
	r := newRig(t, bus.Topology{})
	w, err := bus.NewWorker(r.js, bus.WorkerConfig{Service: "x", Stream: bus.StreamNotify, Consumer: "nobody", Logger: quietLogger()},
		func(context.Context, *bus.Message) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err == nil {
		t.Fatal("Run on a missing consumer returned nil")
	}
}

func TestWorkerAcks(t *testing.T) {
	r := newRig(t, bus.Topology{})
	var got sync.Map
	r.run(r.stateConfig(), func(_ context.Context, m *bus.Message) error {
		if m.Service() != "statesync" || m.Stream != bus.StreamState || m.Delivered != 1 || m.Timestamp.IsZero() {
			return bus.Permanent(fmt.Errorf("bad message view %+v", m))
		}
		got.Store(string(m.Data), m.Header.Get(bus.HeaderTenant))
		return nil
	})
	for i := range 50 {
		r.publishState("acme", fmt.Sprint("env", i), fmt.Sprint("body", i))
	}
	r.waitStreamEmpty(bus.StreamState)
	for i := range 50 {
		if v, ok := got.Load(fmt.Sprint("body", i)); !ok || v != "acme" {
			t.Fatalf("body%d: handled %v, tenant %v", i, ok, v)
		}
	}
	if dls, err := r.deadLetters(); err != nil || len(dls) != 0 {
		t.Fatalf("dead letters %v, err %v", dls, err)
	}
}

func TestWorkerTransientThenSuccess(t *testing.T) {
	r := newRig(t, bus.Topology{})
	var (
		mu       sync.Mutex
		attempts []time.Time
		final    int
	)
	const retryAfter = 150 * time.Millisecond
	r.run(r.stateConfig(), func(_ context.Context, m *bus.Message) error {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, time.Now())
		switch m.Delivered {
		case 1:
			return errors.New("provider 503")
		case 2:
			return bus.Retry(errors.New("cas conflict"), retryAfter)
		}
		final = m.Delivered
		return nil
	})
	r.publishState("acme", "env1", "b")
	r.waitStreamEmpty(bus.StreamState)
	mu.Lock()
	defer mu.Unlock()
	if final != 3 || len(attempts) != 3 {
		t.Fatalf("succeeded on delivery %d after %d attempts, want 3 and 3", final, len(attempts))
	}
	if gap := attempts[2].Sub(attempts[1]); gap < retryAfter {
		t.Fatalf("Retry delay not honoured: redelivered after %s, want >= %s", gap, retryAfter)
	}
	if dls, _ := r.deadLetters(); len(dls) != 0 {
		t.Fatalf("dead letters %v", dls)
	}
}

func TestWorkerDeadLetters(t *testing.T) {
	tests := []struct {
		name      string
		h         bus.Handler
		class     string
		attempts  int
		errSubstr string
	}{
		{"permanent", func(context.Context, *bus.Message) error {
			return bus.Permanent(errors.New("bad payload"))
		}, bus.ClassPermanent, 1, "bad payload"},
		{"max deliver exhausted", func(context.Context, *bus.Message) error {
			return errors.New("still down")
		}, bus.ClassTransient, 3, "still down"},
		{"panic", func(context.Context, *bus.Message) error {
			panic("boom")
		}, bus.ClassPanic, 1, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, bus.Topology{MaxDeliver: 3})
			reg := prometheus.NewRegistry()
			metrics := bus.NewMetrics(reg)
			cfg := r.stateConfig()
			cfg.Metrics = metrics
			// Short steps: the default schedule's 2 s + 15 s (jittered) put
			// the third delivery at the edge of the wait below. MaxDeliver (3),
			// not the hour-long budget, is what gives up here.
			cfg.Retry = bus.RetryPolicy{Schedule: []time.Duration{200 * time.Millisecond}, Budget: time.Hour}
			before := time.Now().UTC()
			seq := r.publishState("acme", "env-7", "payload-bytes")
			r.run(cfg, tt.h, bus.WithMetrics(metrics), bus.Logging(quietLogger()))
			dl := r.waitDeadLetters(1)[0]
			r.waitStreamEmpty(bus.StreamState) // Term removed it from the work queue

			if dl.ID != bus.DeadLetterID("statesync", bus.StreamState, seq) {
				t.Errorf("id %q", dl.ID)
			}
			if dl.Service != "statesync" || dl.Tenant != "acme" || dl.EnvelopeID != "env-7" ||
				!strings.HasSuffix(dl.Subject, ".acme.tok-env-7") || // state.<partition>.acme.tok-env-7 dl.ErrorClass != tt.class ||
				dl.Attempts != tt.attempts || !strings.Contains(dl.Error, tt.errSubstr) ||
				dl.Stream != bus.StreamState || dl.StreamSeq != seq || string(dl.Payload) != "payload-bytes" ||
				dl.ReplayedAt != nil || dl.ReplayResult != "" {
				t.Errorf("entry %+v", dl)
			}
			if got := dl.Header[bus.HeaderMsgID]; len(got) != 1 || got[0] != "evt-env-7-payload-bytes" {
				t.Errorf("header %v", dl.Header)
			}
			if dl.FirstAttemptAt.Before(before.Add(-time.Second)) || dl.LastAttemptAt.Before(dl.FirstAttemptAt) ||
				dl.DeadAt.Before(dl.LastAttemptAt) {
				t.Errorf("times first %s last %s dead %s", dl.FirstAttemptAt, dl.LastAttemptAt, dl.DeadAt)
			}
			if n := counterValue(t, metrics.DeadLetters.WithLabelValues("statesync", tt.class)); n != 1 {
				t.Errorf("dlq_total{class=%s} = %v", tt.class, n)
			}
			if n := counterValue(t, metrics.Processed.WithLabelValues("statesync", tt.class)); n != float64(tt.attempts) {
				t.Errorf("processed_total{outcome=%s} = %v, want %d", tt.class, n, tt.attempts)
			}
		})
	}
}

func TestWorkerKeepsMessageWhenDLQWriteFails(t *testing.T) {
	r := newRig(t, bus.Topology{})
	ctx := context.Background()
	if err := r.js.DeleteStream(ctx, bus.StreamDLQ); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	r.run(r.stateConfig(), func(context.Context, *bus.Message) error {
		calls.Add(1)
		return bus.Permanent(errors.New("bad"))
	})
	r.publishState("acme", "env", "b")
	// With no DLQ the message is nak'ed, not termed: it comes back.
	meshtest.CheckFor(t, waitLong, 10*time.Millisecond, func() error {
		if c := calls.Load(); c < 2 {
			return fmt.Errorf("%d deliveries", c)
		}
		return nil
	})
	if n := r.streamMsgs(bus.StreamState); n != 1 {
		t.Fatalf("STATE holds %d messages while the DLQ is down, want 1", n)
	}
	if err := bus.Setup(ctx, r.js, r.topo); err != nil {
		t.Fatal(err)
	}
	r.waitDeadLetters(1)
	r.waitStreamEmpty(bus.StreamState)
}

func TestWorkerDedupeHeldLockNaksUntilReleased(t *testing.T) {
	r := newRig(t, bus.Topology{})
	redis := meshtest.StartRedis(t)
	locker := dedupe.NewRedis(redis.Client)
	ctx := context.Background()
	key := func(m *bus.Message) string { return m.Header.Get(bus.HeaderMsgID) }
	// Another worker holds the event's lock.
	holder, err := locker.Acquire(ctx, bus.ConsumerStatesync+":evt-env-1-b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	var deliveries atomic.Int32
	count := func(next bus.Handler) bus.Handler {
		return func(ctx context.Context, m *bus.Message) error {
			deliveries.Store(int32(m.Delivered))
			return next(ctx, m)
		}
	}
	r.run(r.stateConfig(), func(context.Context, *bus.Message) error {
		calls.Add(1)
		return nil
	}, count, bus.Dedupe(locker, bus.ConsumerStatesync, 400*time.Millisecond, key))
	r.publishState("acme", "env-1", "b")

	meshtest.CheckFor(t, waitLong, 10*time.Millisecond, func() error {
		if d := deliveries.Load(); d < 2 {
			return fmt.Errorf("delivered %d times", d)
		}
		return nil
	})
	if c, n := calls.Load(), r.streamMsgs(bus.StreamState); c != 0 || n != 1 {
		t.Fatalf("while held: handler ran %d times, STATE holds %d; want 0 and 1 (not acked)", c, n)
	}
	if err := locker.Release(ctx, bus.ConsumerStatesync+":evt-env-1-b", holder); err != nil {
		t.Fatal(err)
	}
	r.waitStreamEmpty(bus.StreamState)
	if c := calls.Load(); c != 1 {
		t.Fatalf("handler ran %d times after release, want 1", c)
	}
	// The middleware released its own lock after the handler.
	tok, err := locker.Acquire(ctx, bus.ConsumerStatesync+":evt-env-1-b", time.Minute)
	if err != nil {
		t.Fatalf("lock left behind: %v", err)
	}
	_ = locker.Release(ctx, bus.ConsumerStatesync+":evt-env-1-b", tok)
}

func TestWorkerGracefulStopFinishesInFlight(t *testing.T) {
	r := newRig(t, bus.Topology{})
	started := make(chan struct{})
	release := make(chan struct{})
	var handlerCtxErr atomic.Value
	stop := r.run(r.stateConfig(), func(ctx context.Context, m *bus.Message) error {
		close(started)
		<-release
		handlerCtxErr.Store(fmt.Sprint(ctx.Err()))
		return nil
	})
	r.publishState("acme", "env", "b")
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) with a handler in flight", err)
	default:
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := handlerCtxErr.Load(); got != "<nil>" {
		t.Fatalf("handler context cancelled on graceful stop: %v", got)
	}
	r.waitStreamEmpty(bus.StreamState)
}

func TestWorkerHardStopCancelsHandlers(t *testing.T) {
	r := newRig(t, bus.Topology{})
	cfg := r.stateConfig()
	cfg.ShutdownGrace = 50 * time.Millisecond
	started := make(chan struct{})
	stop := r.run(cfg, func(ctx context.Context, m *bus.Message) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	r.publishState("acme", "env", "b")
	<-started
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The cancelled handler's transient error naks: the message stays.
	if n := r.streamMsgs(bus.StreamState); n != 1 {
		t.Fatalf("STATE holds %d, want 1", n)
	}
}

func TestWorkerKeepsSlowHandlersAlive(t *testing.T) {
	r := newRig(t, bus.Topology{AckWait: 400 * time.Millisecond})
	var calls atomic.Int32
	r.run(r.stateConfig(), func(ctx context.Context, m *bus.Message) error {
		calls.Add(1)
		// Slow work, longer than two AckWaits.
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
		return nil
	})
	r.publishState("acme", "env", "b")
	r.waitStreamEmpty(bus.StreamState)
	if c := calls.Load(); c != 1 {
		t.Fatalf("handler ran %d times: redelivered while in progress", c)
	}
}

// counterValue reads a counter's current value.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
