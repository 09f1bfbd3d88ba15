package e2e

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/services/countersign/app"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/shared/subscriber"
)

// Deliver signs for every provider kind, Ledger reads and verifies, and a
// subscription on the test's own connection survives Restart.
func TestHarnessDeliverLedgerRestart(t *testing.T) {
	m := mesh.Start(t, mesh.Options{Build: app.Build})
	var mu sync.Mutex
	seen := map[string]bool{}
	sub, err := subscriber.Subscribe(t.Context(), m.NATS.JS, subscriber.Options{Durable: "harness"},
		func(_ context.Context, msg *subscriber.Message) error {
			mu.Lock()
			seen[msg.Entry.EnvelopeID] = true
			mu.Unlock()
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	deliveries := map[string]mesh.Delivery{
		"sw-1":                                 {Provider: "standardwebhooks", Body: []byte(`{"type":"document.sent","timestamp":"2026-11-22T07:03:00Z","data":{"document_id":"sw-1"}}`)},
		"ds-1":                                 {Provider: "docusign", Body: []byte(`{"event":"envelope-sent","generatedDateTime":"2026-11-22T07:03:00Z","data":{"envelopeId":"ds-1"}}`)},
		"db-1":                                 {Provider: "dropboxsign", Body: []byte(`{"event":{"event_time":"1795000000","event_type":"signature_request_sent"},"signature_request":{"signature_request_id":"db-1"}}`)},
		"3fa85f64-5717-4562-b3fc-2c963f66afa6": {Provider: "esignanywhere", Query: url.Values{"envelope": {"3fa85f64-5717-4562-b3fc-2c963f66afa6"}, "action": {"envelopeExpired"}}},
	}
	for id, d := range deliveries {
		if code := m.Deliver(t, d); code != 200 {
			t.Fatalf("%s: %s delivery answered %d", id, d.Provider, code)
		}
	}
	m.Restart(t)
	body := `{"type":"document.completed","timestamp":"2026-11-22T07:04:00Z","data":{"document_id":"sw-1"}}`
	if code := m.Deliver(t, mesh.Delivery{Provider: "standardwebhooks", Body: []byte(body)}); code != 200 {
		t.Fatalf("after restart: delivery answered %d", code)
	}
	// Beyond AckWait (30s): a message in flight when the server stopped
	// comes back, and holds its partition, only after it.
	meshtest.CheckFor(t, 45*time.Second, 50*time.Millisecond, func() error {
		for id := range deliveries {
			if n := len(m.Ledger(t, mesh.Tenant, id)); n == 0 {
				return fmt.Errorf("%s: no ledger entry", id)
			}
		}
		if l := m.Ledger(t, mesh.Tenant, "sw-1"); len(l) != 2 || l[1].Type != envelope.TypeCompleted {
			return fmt.Errorf("sw-1 ledger %+v", l)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != len(deliveries) {
			return fmt.Errorf("subscriber saw %v", seen)
		}
		return nil
	})
}
