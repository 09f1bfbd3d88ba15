package natsserver_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/natsserver"
)

// BenchmarkPublish compares the all-in-one's connection to its embedded
// server over loopback TCP with the in-process one (nats.InProcessServer),
// on the hot path's operation: a JetStream publish awaiting its ack, 64
// at a time. cpu-µs/op is the process's CPU (user + system) per publish,
// the figure a busy machine distorts least.
func BenchmarkPublish(b *testing.B) {
	srv, err := natsserver.Start(natsserver.Options{Listen: "127.0.0.1:-1", StoreDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	for _, mode := range []string{"tcp", "inprocess"} {
		b.Run(mode, func(b *testing.B) {
			var opts []nats.Option
			if mode == "inprocess" {
				opts = append(opts, nats.InProcessServer(srv))
			}
			nc, err := nats.Connect(srv.ClientURL(), opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			stream := "BENCH_" + mode
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{stream + ".>"}}); err != nil {
				b.Fatal(err)
			}
			body := make([]byte, 620)
			b.SetParallelism(32) // 64 publishers on two cores
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if _, err := js.Publish(ctx, fmt.Sprintf("%s.%d", stream, i), body); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
