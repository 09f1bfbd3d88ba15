package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// TestContinueDeliversOnlyTheNewSteps: after Fire, Continue delivers the
// appended steps' callbacks alone, and the truth (what the API shows)
// moves with them; an envelope never fired is refused.
func TestContinueDeliversOnlyTheNewSteps(t *testing.T) {
	f := newFakeIngress(t, 0)
	s := newTestSandbox(t, f.srv.URL, nil)
	at := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	e := &Envelope{Provider: KindDropboxSign, Tenant: "acme", ID: "sr-continue",
		Recipients: []Recipient{{ID: "sig-a", Email: "a@x.example"}, {ID: "sig-b", Email: "b@x.example"}},
		Script:     []Step{{Type: envelope.TypeSent, Recipient: -1, At: at}}, Truth: envelope.StateCompleted}
	fire(t, s, []*Envelope{e})
	if got, _ := f.snapshot(); len(got) != 1 {
		t.Fatalf("Fire delivered %d callbacks, want 1", len(got))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := s.Continue(ctx, e,
		Step{Type: envelope.TypeRecipientSigned, Recipient: 0, At: at.Add(time.Second)},
		Step{Type: envelope.TypeRecipientSigned, Recipient: 1, At: at.Add(2 * time.Second)},
		Step{Type: envelope.TypeCompleted, Recipient: -1, At: at.Add(3 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	checkIdentities(t, rep)
	got, rejected := f.snapshot()
	if rejected != 0 || len(got) != 4 || rep.Callbacks != 3 || rep.Delivered != 3 {
		t.Fatalf("after Continue: %d deliveries (%d rejected), report %+v; want 4 in all, 3 new", len(got), rejected, rep)
	}
	for _, d := range got[1:] {
		if d.event == got[0].event && d.recipient == got[0].recipient {
			t.Errorf("Continue redelivered the first step: %+v", d)
		}
	}
	if x := s.Truth()[e.Key()]; x.State != envelope.StateCompleted || x.Happened != 4 || !x.WebhookComplete {
		t.Errorf("truth %+v, want completed after 4 steps, webhook complete", x)
	}
	other := &Envelope{Provider: KindDropboxSign, Tenant: "acme", ID: "sr-never-fired"}
	if _, err := s.Continue(ctx, other, Step{Type: envelope.TypeSent, Recipient: -1, At: at}); err == nil {
		t.Error("Continue on an envelope never fired: no error")
	}
}
