package subscriber_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/natsserver"
	"github.com/countersign/countersign/shared/subjects"
	"github.com/countersign/countersign/shared/subscriber"
)

// Example consumes completed envelopes of tenant acme with a durable
// consumer: subscribing again with the same Durable resumes where it
// stopped.
func Example() {
	ctx := context.Background()
	js, stop, err := exampleJetStream() // your connection to countersign's NATS
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()

	completed := make(chan string, 1)
	sub, err := subscriber.Subscribe(ctx, js, subscriber.Options{
		Durable: "archiver",
		Tenant:  "acme",
		Types:   []envelope.Type{envelope.TypeCompleted},
	}, func(ctx context.Context, m *subscriber.Message) error {
		completed <- m.Entry.EnvelopeID // return an error to have the entry redelivered
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Stop()

	for _, p := range []struct {
		tenant, id string
		typ        envelope.Type
	}{
		{"globex", "env-1", envelope.TypeCompleted}, // another tenant
		{"acme", "env-2", envelope.TypeSent},        // another type
		{"acme", "env-3", envelope.TypeCompleted},
	} {
		if err := examplePublish(js, p.tenant, p.id, p.typ); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("completed:", <-completed)
	// Output: completed: env-3
}

// exampleJetStream starts a throwaway embedded NATS server with the
// ENVELOPES stream, standing in for countersign's.
func exampleJetStream() (js jetstream.JetStream, stop func(), err error) {
	dir, err := os.MkdirTemp("", "subscriber-example")
	if err != nil {
		return nil, nil, err
	}
	srv, err := natsserver.Start(natsserver.Options{Listen: "127.0.0.1:-1", StoreDir: dir})
	if err != nil {
		return nil, nil, errors.Join(err, os.RemoveAll(dir))
	}
	stop = func() {
		srv.Shutdown()
		srv.WaitForShutdown()
		_ = os.RemoveAll(dir)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		stop()
		return nil, nil, err
	}
	stopServer := stop
	stop = func() { nc.Close(); stopServer() }
	if js, err = jetstream.New(nc); err == nil {
		_, err = js.CreateStream(context.Background(), jetstream.StreamConfig{
			Name: subjects.StreamEnvelopes, Subjects: []string{"envelope.>"},
		})
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	return js, stop, nil
}

// examplePublish publishes a ledger entry as countersign's statesync does.
func examplePublish(js jetstream.JetStream, tenant, id string, typ envelope.Type) error {
	e := envelope.Entry{Tenant: tenant, EnvelopeID: id, Type: typ, Seq: 1, Provider: "docusign",
		State: envelope.StateCompleted, PreviousState: envelope.StateDelivered, Source: envelope.SourceWebhook}
	hash, err := e.ComputeHash()
	if err != nil {
		return err
	}
	e.Hash = hash
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = js.Publish(context.Background(), e.Subject(), data)
	return err
}
