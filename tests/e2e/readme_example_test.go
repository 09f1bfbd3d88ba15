package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/countersign/countersign/services/countersign/app"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/shared/subscriber"
)

// README's harness example, as it stands there: a signed delivery in,
// the entry out to a subscriber, the ledger verified.
func TestReadmeHarnessExample(t *testing.T) {
	m := mesh.Start(t, mesh.Options{Build: app.Build})
	got := make(chan envelope.Entry, 1)
	sub, err := subscriber.Subscribe(t.Context(), m.NATS.JS, subscriber.Options{Durable: "my-service"},
		func(_ context.Context, msg *subscriber.Message) error { got <- msg.Entry; return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	body := `{"type":"document.completed","timestamp":"2026-11-22T07:03:00Z","data":{"document_id":"env-1"}}`
	if code := m.Deliver(t, mesh.Delivery{Provider: "standardwebhooks", Body: []byte(body)}); code != 200 {
		t.Fatalf("delivery answered %d", code)
	}
	select {
	case e := <-got:
		if e.Type != envelope.TypeCompleted || len(m.Ledger(t, mesh.Tenant, "env-1")) != 1 {
			t.Fatalf("entry %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ledger entry")
	}
}
