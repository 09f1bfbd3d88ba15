// Command timerbench measures the notifier's durable timers (part of `go
// tool task bench`): N pending timers (JetStream message schedules in
// NOTIFY, one subject per timer) created, then cancelled by purging each
// envelope's timers as a completion does; the stream's and the process's
// memory while they are pending; and how late a batch of timers fires.
// NATS is embedded in this process, so RSS covers the server too.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/natsserver"
)

// Result is what timerbench writes.
type Result struct {
	Timers          int     `json:"timers"`
	Envelopes       int     `json:"envelopes"`
	CreatePerSec    float64 `json:"create_per_sec"`
	CancelPerSec    float64 `json:"cancel_timers_per_sec"`
	StreamBytes     uint64  `json:"stream_bytes_pending"`
	StreamMsgs      uint64  `json:"stream_msgs_pending"`
	RSSBeforeMiB    float64 `json:"rss_before_mib"`
	RSSPendingMiB   float64 `json:"rss_pending_mib"`
	LeftAfterCancel uint64  `json:"left_after_cancel"`
	Fired           int     `json:"fired"`
	LateP50Ms       float64 `json:"late_p50_ms"`
	LateP99Ms       float64 `json:"late_p99_ms"`
	LateMaxMs       float64 `json:"late_max_ms"`
}

func main() {
	var (
		n       = flag.Int("n", 100_000, "pending timers to create and cancel")
		perEnv  = flag.Int("per-envelope", 4, "timers per envelope (recipients × reminders)")
		fire    = flag.Int("fire", 2000, "timers of the lateness phase")
		workers = flag.Int("workers", 64, "concurrent publishers")
		out     = flag.String("out", "timer-bench-results.json", "where to write the figures")
	)
	flag.Parse()
	res, err := run(*n, *perEnv, *fire, *workers)
	if err != nil {
		fmt.Fprintf(os.Stderr, "timerbench: %v\n", err)
		os.Exit(1)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(b))
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "timerbench: %v\n", err)
		os.Exit(1)
	}
}

func run(n, perEnv, fire, workers int) (*Result, error) {
	dir, err := os.MkdirTemp("", "timerbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, err := natsserver.Start(natsserver.Options{Listen: "127.0.0.1:-1", StoreDir: dir})
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := bus.Setup(ctx, js, bus.Topology{}); err != nil {
		return nil, err
	}
	stream, err := js.Stream(ctx, bus.StreamNotify)
	if err != nil {
		return nil, err
	}
	res := &Result{Timers: n, Envelopes: (n + perEnv - 1) / perEnv, RSSBeforeMiB: rssMiB()}

	// Create: every timer far enough ahead not to fire during the run.
	due := time.Now().Add(time.Hour)
	subject := func(i int) string {
		return bus.TimerSubject("bench", "env-"+strconv.Itoa(i/perEnv), "r"+strconv.Itoa(i%perEnv), "remind", 1)
	}
	start := time.Now()
	if err := parallel(n, workers, func(i int) error {
		s := subject(i)
		return bus.ScheduleTimer(ctx, js, s, due, []byte(`{"bench":true}`), nil, s)
	}); err != nil {
		return nil, err
	}
	res.CreatePerSec = float64(n) / time.Since(start).Seconds()
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, err
	}
	res.StreamBytes, res.StreamMsgs = info.State.Bytes, info.State.Msgs
	res.RSSPendingMiB = rssMiB()

	// Cancel: one purge per envelope, as a completion does.
	start = time.Now()
	if err := parallel(res.Envelopes, workers, func(e int) error {
		return bus.CancelTimers(ctx, js, bus.TimerFilter("bench", "env-"+strconv.Itoa(e), ""))
	}); err != nil {
		return nil, err
	}
	res.CancelPerSec = float64(n) / time.Since(start).Seconds()
	if info, err = stream.Info(ctx); err != nil {
		return nil, err
	}
	res.LeftAfterCancel = info.State.Msgs

	// Lateness: fire timers spread over two seconds, three seconds ahead.
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamNotify, bus.ConsumerConfig(bus.Topology{}, "bench", bus.StreamNotify, "notify.>"))
	if err != nil {
		return nil, err
	}
	base := time.Now().Add(3 * time.Second)
	var (
		mu    sync.Mutex
		lates []float64
		got   atomic.Int64
	)
	done := make(chan struct{})
	cc, err := cons.Consume(func(m jetstream.Msg) {
		at, perr := time.Parse(time.RFC3339Nano, string(m.Data()))
		if perr == nil {
			mu.Lock()
			lates = append(lates, float64(time.Since(at).Microseconds())/1000)
			mu.Unlock()
		}
		_ = m.Ack()
		if got.Add(1) == int64(fire) {
			close(done)
		}
	})
	if err != nil {
		return nil, err
	}
	defer cc.Stop()
	if err := parallel(fire, workers, func(i int) error {
		at := base.Add(time.Duration(i) * 2 * time.Second / time.Duration(fire))
		s := bus.TimerSubject("bench", "fire-"+strconv.Itoa(i), "r", "remind", 1)
		return bus.ScheduleTimer(ctx, js, s, at, []byte(at.UTC().Format(time.RFC3339Nano)), nil, s)
	}); err != nil {
		return nil, err
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("only %d of %d timers fired", got.Load(), fire)
	}
	slices.Sort(lates)
	res.Fired = len(lates)
	res.LateP50Ms, res.LateP99Ms, res.LateMaxMs = pct(lates, 0.50), pct(lates, 0.99), lates[len(lates)-1]
	return res, nil
}

// parallel runs f(0..n-1) on workers goroutines; the first error wins.
func parallel(n, workers int, f func(i int) error) error {
	var (
		next  atomic.Int64
		first error
		once  sync.Once
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// rssMiB reads the process's resident set (Linux), else the Go heap.
func rssMiB() float64 {
	runtime.GC()
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}
