package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
)

// Deliveries of one envelope sent one after the other, each answered 2xx
// before the next, are applied in that order: none is recorded `stale`,
// while many envelopes are sent at once (every partition busy).
func TestInOrderDeliveriesAreNeverStale(t *testing.T) {
	m := startMesh(t, "")
	const envelopes = 40
	base := time.Now().UTC().Truncate(time.Second)
	var wg sync.WaitGroup
	for i := range envelopes {
		wg.Go(func() {
			id := fmt.Sprintf("order-%d", i)
			for j, typ := range []string{"document.sent", "document.completed"} {
				d := swDelivery{ID: fmt.Sprintf("msg-%s-%d", id, j), TS: time.Now(), Body: swEvent(typ, id, "", base.Add(time.Duration(j)*time.Second))}
				if resp := post(t, http.DefaultClient, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
					t.Errorf("%s %s: status %d", id, typ, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	for i := range envelopes {
		id := fmt.Sprintf("order-%d", i)
		var lv ledgerView
		meshtest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
			lv = ledgerView{}
			if code := adminGet(t, m, envelopePath("acme", id)+"/ledger", &lv); code != http.StatusOK || len(lv.Entries) < 2 {
				return fmt.Errorf("%s: status %d, %d entries", id, code, len(lv.Entries))
			}
			return nil
		})
		entries := decodeEntries(t, lv.Entries)
		if !lv.Verified || len(entries) != 2 || entries[0].Type != "sent" || entries[1].Type != "completed" {
			t.Errorf("%s: ledger %+v (verified %v), want sent then completed", id, entries, lv.Verified)
		}
	}
}
