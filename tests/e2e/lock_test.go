package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/dedupe"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
)

// TestDeadLockHolderDoesNotLoseTheEvent: a worker that took the dedupe lock
// for an event and died must not make the event disappear (the "if the key
// exists, return success" recipe would): it is applied, once, when the
// dead holder's lease runs out.
func TestDeadLockHolderDoesNotLoseTheEvent(t *testing.T) {
	m := startMesh(t, "")
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	id := envelope.EventID("acme", "standardwebhooks", "env-dead-holder", envelope.TypeSent, nil, at)
	locker := dedupe.NewRedis(m.Redis.Client)
	// The "crashed worker": it holds the lock and will never release it.
	if _, err := locker.Acquire(t.Context(), "statesync:"+id, 3*time.Second); err != nil {
		t.Fatalf("take the lock: %v", err)
	}
	d := swDelivery{ID: "msg_dead_holder", TS: time.Now(), Body: swEvent("document.sent", "env-dead-holder", "", at)}
	if resp := post(t, &http.Client{}, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	meshtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		var v envelopeView
		if code := adminGet(t, m, envelopePath("acme", "env-dead-holder"), &v); code != http.StatusOK {
			return fmt.Errorf("status %d", code)
		}
		if v.State != "sent" || v.LedgerSeq != 1 {
			return fmt.Errorf("state %q seq %d", v.State, v.LedgerSeq)
		}
		return nil
	})
	var l ledgerView
	adminGet(t, m, envelopePath("acme", "env-dead-holder")+"/ledger", &l)
	if len(l.Entries) != 1 || !l.Verified {
		t.Fatalf("ledger: %d entries, verified %v; want 1, true", len(l.Entries), l.Verified)
	}
}
