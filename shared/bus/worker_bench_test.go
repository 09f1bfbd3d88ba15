package bus_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
)

// BenchmarkWorkerThroughput publishes b.N STATE messages and consumes them
// with a no-op handler; msgs/s is the pipeline's per-worker ceiling.
func BenchmarkWorkerThroughput(b *testing.B) {
	n := meshtest.StartNATS(b)
	ctx := context.Background()
	if err := bus.Setup(ctx, n.JS, bus.Topology{}); err != nil {
		b.Fatal(err)
	}
	js, err := jetstream.New(n.Conn, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	var handled atomic.Int64
	w, err := bus.NewWorker(js, bus.WorkerConfig{
		Service: "bench", Stream: bus.StreamState, Consumer: bus.ConsumerStatesync, Logger: quietLogger(),
	}, func(context.Context, *bus.Message) error {
		handled.Add(1)
		return nil
	}, bus.WithMetrics(bus.NewMetrics(nil)))
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()

	payload := make([]byte, 512)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, err := js.PublishAsync(bus.StateSubject("acme", fmt.Sprint("e", i%1000)), payload); err != nil {
			b.Fatal(err)
		}
		if i%2048 == 2047 { // keep the async window below its stall limit
			waitPublished(b, js)
		}
	}
	waitPublished(b, js)
	want := int64(b.N)
	meshtest.CheckFor(b, 2*time.Minute, time.Millisecond, func() error {
		if got := handled.Load(); got < want {
			return fmt.Errorf("handled %d of %d", got, want)
		}
		return nil
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func waitPublished(b *testing.B, js jetstream.JetStream) {
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publishes not acked")
	}
}
