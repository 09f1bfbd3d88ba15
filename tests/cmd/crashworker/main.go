// Command crashworker stands in for a worker that dies on every message:
// it takes one message from a durable consumer and exits with status 3
// without a verdict. The split-deployment tests run it, supervised, in
// place of a real worker, to show that a message nobody can finish still
// reaches the DLQ (class max_deliveries) through the MAX_DELIVERIES
// watcher of another process.
//
//	crashworker -nats-url nats://127.0.0.1:4222 -stream STATE -consumer statesync
//
// It naks before dying so the redelivery comes at once instead of after
// the consumer's AckWait (30 s); a nak is no verdict: the server delivers
// the message again until MaxDeliver, as it would after a real crash.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	url := flag.String("nats-url", "", "NATS URL")
	stream := flag.String("stream", "STATE", "stream of the consumer")
	consumer := flag.String("consumer", "statesync", "durable consumer to take a message from")
	flag.Parse()
	if err := run(*url, *stream, *consumer); err != nil {
		fmt.Fprintln(os.Stderr, "crashworker:", err)
		os.Exit(1)
	}
}

func run(url, stream, consumer string) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx := context.Background()
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return err
	}
	opts := []jetstream.FetchOpt{jetstream.FetchMaxWait(5 * time.Second)}
	if info := c.CachedInfo(); info != nil && len(info.Config.PriorityGroups) > 0 {
		// A partition's consumer feeds its pinned owner only.
		opts = append(opts, jetstream.FetchPriorityGroup(info.Config.PriorityGroups[0]))
	}
	for {
		msg, err := c.Next(opts...)
		if err != nil {
			continue // nothing yet
		}
		_ = msg.Nak()
		_ = nc.Flush()
		fmt.Println("crashworker: crashing on", msg.Subject())
		os.Exit(3)
	}
}
