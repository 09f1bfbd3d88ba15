package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
)

// story is one envelope's events and the state they must end in.
type story struct {
	id         string
	events     [][]byte
	final      string
	recipients map[string]string
}

// makeStory builds a realistic lifecycle: sent, viewed, some recipients
// signing, then completed, declined, voided, expired — or unfinished.
func makeStory(rng *rand.Rand, id string, base time.Time) story {
	s := story{id: id, recipients: map[string]string{}}
	at := base
	next := func(typ, rcpt string) {
		at = at.Add(time.Duration(1+rng.IntN(60)) * time.Second)
		s.events = append(s.events, swEvent(typ, id, rcpt, at))
	}
	next("document.sent", "")
	next("document.viewed", "")
	n := 1 + rng.IntN(3)
	signed := 0
	for i := range n {
		r := fmt.Sprintf("r%d", i)
		s.recipients[r] = ""
		if rng.IntN(4) > 0 {
			next("recipient.signed", r)
			s.recipients[r] = "signed"
			signed++
		}
	}
	switch rng.IntN(5) {
	case 0:
		next("document.completed", "")
		s.final = "completed"
	case 1:
		next("document.declined", "")
		s.final = "declined"
	case 2:
		next("document.voided", "")
		s.final = "voided"
	case 3:
		next("document.expired", "")
		s.final = "expired"
	default:
		s.final = "delivered"
		if signed > 0 {
			s.final = "partially_signed"
		}
	}
	return s
}

// TestShuffledDuplicatedDeliveriesConverge is the foundation's promise end
// to end: many envelopes' events, delivered shuffled, with provider
// retries (same webhook-id) and re-sends (new webhook-id), end in the right
// states with exactly one ledger entry per distinct event and verifying
// chains — and all of it survives a restart.
func TestShuffledDuplicatedDeliveriesConverge(t *testing.T) {
	m := startMesh(t, "")
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Now().Add(-time.Hour)
	var stories []story
	var deliveries []swDelivery
	for i := range 60 {
		s := makeStory(rng, fmt.Sprintf("env-%03d", i), base)
		stories = append(stories, s)
		for j, body := range s.events {
			d := swDelivery{ID: fmt.Sprintf("msg_%d_%d", i, j), TS: time.Now(), Body: body}
			deliveries = append(deliveries, d)
			for range rng.IntN(3) { // provider retries: same delivery id
				deliveries = append(deliveries, d)
			}
			if rng.IntN(4) == 0 { // a re-send under a new delivery id
				deliveries = append(deliveries, swDelivery{ID: d.ID + "_resend", TS: time.Now(), Body: body})
			}
		}
	}
	rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
	sendAll(t, m, deliveries)
	checkStories(t, m, stories)

	m.Restart(t)
	checkStories(t, m, stories)

	// The chain goes on after the restart: a late event appends at n+1.
	s := stories[0]
	late := swDelivery{ID: "msg_late", TS: time.Now(), Body: swEvent("document.sent", s.id, "", base.Add(-time.Hour))}
	sendAll(t, m, []swDelivery{late})
	meshtest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		var l ledgerView
		adminGet(t, m, envelopePath("acme", s.id)+"/ledger", &l)
		if len(l.Entries) != len(s.events)+1 || !l.Verified {
			return fmt.Errorf("ledger has %d entries (verified %v), want %d", len(l.Entries), l.Verified, len(s.events)+1)
		}
		return nil
	})
}

func sendAll(t *testing.T, m *mesh.Mesh, ds []swDelivery) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	work := make(chan swDelivery)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []int
	for range 8 {
		wg.Go(func() {
			for d := range work {
				d.TS = time.Now()
				if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
					mu.Lock()
					bad = append(bad, resp.StatusCode)
					mu.Unlock()
				}
			}
		})
	}
	for _, d := range ds {
		work <- d
	}
	close(work)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d deliveries not accepted: %v", len(bad), bad)
	}
}

// checkStories waits until every envelope reached its final state, then
// checks its ledger: one entry per distinct event, seq 1..n, verified.
func checkStories(t *testing.T, m *mesh.Mesh, stories []story) {
	t.Helper()
	for _, s := range stories {
		meshtest.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
			var v envelopeView
			if code := adminGet(t, m, envelopePath("acme", s.id), &v); code != http.StatusOK {
				return fmt.Errorf("%s: status %d", s.id, code)
			}
			if v.State != s.final {
				return fmt.Errorf("%s: state %q, want %q", s.id, v.State, s.final)
			}
			if v.LedgerSeq != uint64(len(s.events)) {
				return fmt.Errorf("%s: ledger_seq %d, want %d", s.id, v.LedgerSeq, len(s.events))
			}
			for _, r := range v.Recipients {
				if want := s.recipients[r.ID]; want == "signed" && r.State != "signed" {
					return fmt.Errorf("%s: recipient %s is %q, want signed", s.id, r.ID, r.State)
				}
			}
			var l ledgerView
			adminGet(t, m, envelopePath("acme", s.id)+"/ledger", &l)
			if len(l.Entries) != len(s.events) {
				return fmt.Errorf("%s: %d ledger entries, want %d", s.id, len(l.Entries), len(s.events))
			}
			if !l.Verified {
				return fmt.Errorf("%s: ledger does not verify", s.id)
			}
			seen := map[string]bool{}
			for i, e := range decodeEntries(t, l.Entries) {
				if e.Seq != uint64(i+1) {
					return fmt.Errorf("%s: entry %d has seq %d", s.id, i, e.Seq)
				}
				if seen[e.ID] {
					return fmt.Errorf("%s: event %s twice in the ledger", s.id, e.ID)
				}
				seen[e.ID] = true
			}
			if v.LedgerHash != decodeEntries(t, l.Entries)[len(l.Entries)-1].Hash {
				return fmt.Errorf("%s: ledger_hash is not the last entry's hash", s.id)
			}
			return nil
		})
	}
}
