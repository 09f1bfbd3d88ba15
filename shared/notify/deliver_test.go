package notify_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/notify"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/standardwebhooks"
)

const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func sample() notify.Notification {
	return notify.Notification{
		ID:        notify.ID("acme", "env-1", "alice", "reminder", "1"),
		Type:      notify.TypeReminderDue,
		Timestamp: time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC),
		Data: notify.Data{Tenant: "acme", Provider: "dropboxsign", EnvelopeID: "env-1",
			Recipient: &notify.Recipient{ID: "sig-1", Email: "alice@acme.example"}, Reminder: 1},
	}
}

// TestWebhookRetriedWithSameID: a 5xx is an error (the worker retries),
// and the retry carries the same webhook-id, validly signed.
func TestWebhookRetriedWithSameID(t *testing.T) {
	var (
		mu     sync.Mutex
		ids    []string
		bodies []string
	)
	verifier, err := standardwebhooks.New(config.Provider{Kind: "standardwebhooks", Secrets: []config.Secret{config.NewSecret(whsec)}, Tolerance: config.Duration(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := &providers.Request{Method: r.Method, Header: r.Header, Body: body}
		if err := verifier.Authenticate(req, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		bodies = append(bodies, string(body))
		first := len(ids) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	ch := config.Channel{Kind: config.ChannelWebhook, URL: srv.URL, Secret: config.NewSecret(whsec)}
	d := &notify.Deliverer{}
	n := sample()
	if err := d.Send(context.Background(), ch, n); !errors.Is(err, notify.ErrChannel) || bus.IsPermanent(err) {
		t.Fatalf("first send: %v, want a transient ErrChannel", err)
	}
	if err := d.Send(context.Background(), ch, n); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if len(ids) != 2 || ids[0] != n.ID || ids[1] != n.ID {
		t.Fatalf("webhook-ids %v, want %s twice", ids, n.ID)
	}
	want := `{"type":"countersign.reminder_due","timestamp":"2026-11-22T07:00:00Z","data":{"tenant":"acme","provider":"dropboxsign","envelope_id":"env-1","recipient":{"id":"sig-1","email":"alice@acme.example"},"reminder":1}}`
	if bodies[1] != want {
		t.Fatalf("body %s\nwant %s", bodies[1], want)
	}
}

// TestEmail sends through a real SMTP server with authentication; the
// Message-ID is the notification's, and a refused send is an error.
func TestEmail(t *testing.T) {
	s := meshtest.StartSMTP(t, "ops", "pw")
	ch := config.Channel{Kind: config.ChannelEmail, SMTP: s.Addr, From: "countersign@acme.example",
		To: []string{"esign-ops@acme.example"}, Username: "ops", Password: config.NewSecret("pw")}
	d := &notify.Deliverer{Timeout: 5 * time.Second, TLS: &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}}
	n := sample()
	s.SetDown(true)
	if err := d.Send(context.Background(), ch, n); !errors.Is(err, notify.ErrChannel) {
		t.Fatalf("send while down: %v", err)
	}
	s.SetDown(false)
	if err := d.Send(context.Background(), ch, n); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || msgs[0].User != "ops" || !msgs[0].TLS || msgs[0].To[0] != "esign-ops@acme.example" {
		t.Fatalf("messages %+v", msgs)
	}
	data := string(msgs[0].Data)
	wantID := "Message-ID: <" + strings.TrimPrefix(n.ID, "msg_") + "@countersign>"
	if !strings.Contains(data, wantID) || !strings.Contains(data, "reminder due: acme envelope env-1") {
		t.Fatalf("message lacks %q or its subject:\n%s", wantID, data)
	}
	// Wrong password: refused, an error.
	ch.Password = config.NewSecret("wrong")
	if err := d.Send(context.Background(), ch, n); err == nil {
		t.Fatal("send with a wrong password succeeded")
	}
}

type pubs struct{ msgs []*nats.Msg }

func (p *pubs) PublishMsg(_ context.Context, m *nats.Msg, _ ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	p.msgs = append(p.msgs, m)
	return &jetstream.PubAck{}, nil
}

// TestEnqueueFilters: one job per channel that wants the event; the job
// finds its channel again by id and goes to the DLQ when it is gone.
func TestEnqueueFilters(t *testing.T) {
	chans := []config.Channel{
		{Kind: config.ChannelWebhook, URL: "http://a.example/h", Secret: config.NewSecret(whsec)},
		{Kind: config.ChannelEmail, SMTP: "mail.example:25", From: "a@x.example", To: []string{"b@x.example"}, Events: []string{"escalation"}},
	}
	p := &pubs{}
	n, err := notify.Enqueue(context.Background(), p, chans, sample())
	if err != nil || n != 1 || len(p.msgs) != 1 {
		t.Fatalf("enqueued %d (%v), want 1", n, err)
	}
	if !strings.HasPrefix(p.msgs[0].Subject, notify.SendPrefix+"acme.") {
		t.Fatalf("subject %s", p.msgs[0].Subject)
	}
	d := &notify.Deliverer{Channels: func(string) []config.Channel { return nil }}
	err = d.Handle(context.Background(), &bus.Message{Subject: p.msgs[0].Subject, Data: p.msgs[0].Data})
	if !errors.Is(err, notify.ErrNoChannel) || !bus.IsPermanent(err) {
		t.Fatalf("job without its channel: %v, want permanent ErrNoChannel", err)
	}
}
