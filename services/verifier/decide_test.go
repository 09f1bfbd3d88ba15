package verifier

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// The verifier's decisions — publish what a callback says, ignore what
// maps to nothing, dead-letter what cannot be read, retry a failed
// publish, mark replays — through its Publisher, with no NATS.

type fakePublisher struct {
	got []envelope.Event
	err error
}

func (f *fakePublisher) Publish(_ context.Context, evs []envelope.Event) error {
	if f.err != nil {
		return f.err
	}
	f.got = append(f.got, evs...)
	return nil
}

const decideConfig = `
admin:
  tokens: ["t"]
tenants:
  - id: acme
    providers:
      - kind: standardwebhooks
        secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
`

func fakeVerifier(t *testing.T, pub Publisher) *Service {
	t.Helper()
	f, err := config.Parse("decide.yaml", []byte(decideConfig))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := &Service{cfg: Config{File: f, Logger: slog.New(slog.DiscardHandler), Registry: reg}, pub: pub}
	adapters, err := buildAdapters(f)
	if err != nil {
		t.Fatal(err)
	}
	s.adapters.Store(&adapters)
	s.ignored = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ignored"}, []string{"tenant", "provider"})
	s.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "events"}, []string{"provider", "type"})
	if s.confirm, err = newConfirmer(f, apiclient.Options{}, reg); err != nil {
		t.Fatal(err)
	}
	return s
}

// rawMsg is the RAW message ingress would store for a Standard Webhooks
// body (ingress authenticated it; the verifier only parses).
func rawMsg(body string, replay bool) *bus.Message {
	req := &providers.Request{Method: http.MethodPost, Body: []byte(body), ReceivedAt: time.Now(),
		Header: http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {"1700000000"}}}
	m := bus.EncodeRaw(bus.RawSubject("acme", providers.KindStandardWebhooks, "env-1"), "acme", providers.KindStandardWebhooks, "127.0.0.1", req)
	if replay {
		m.Header.Set(bus.HeaderReplayOf, "dlq-entry-1")
	}
	return &bus.Message{Subject: m.Subject, Header: m.Header, Data: m.Data, Delivered: 1}
}

func TestDecisionsWithoutNATS(t *testing.T) {
	completed := `{"type":"document.completed","timestamp":"2026-11-22T07:03:00Z","data":{"document_id":"env-1"}}`
	t.Run("a callback's events are published", func(t *testing.T) {
		pub := &fakePublisher{}
		if err := fakeVerifier(t, pub).handle(t.Context(), rawMsg(completed, false)); err != nil {
			t.Fatal(err)
		}
		if len(pub.got) != 1 || pub.got[0].Type != envelope.TypeCompleted || pub.got[0].EnvelopeID != "env-1" ||
			pub.got[0].Source != envelope.SourceWebhook {
			t.Fatalf("published %+v", pub.got)
		}
	})
	t.Run("a replayed callback's events say so", func(t *testing.T) {
		pub := &fakePublisher{}
		if err := fakeVerifier(t, pub).handle(t.Context(), rawMsg(completed, true)); err != nil {
			t.Fatal(err)
		}
		if len(pub.got) != 1 || pub.got[0].Source != envelope.SourceReplay {
			t.Fatalf("published %+v", pub.got)
		}
	})
	t.Run("an unmapped type is ignored", func(t *testing.T) {
		pub := &fakePublisher{}
		err := fakeVerifier(t, pub).handle(t.Context(), rawMsg(`{"type":"document.archived","timestamp":"2026-11-22T07:03:00Z","data":{"document_id":"env-1"}}`, false))
		if err != nil || len(pub.got) != 0 {
			t.Fatalf("err %v, published %+v; want nothing", err, pub.got)
		}
	})
	t.Run("malformed content is permanent", func(t *testing.T) {
		pub := &fakePublisher{}
		if err := fakeVerifier(t, pub).handle(t.Context(), rawMsg(`{"type":`, false)); !bus.IsPermanent(err) {
			t.Fatalf("err %v, want permanent", err)
		}
	})
	t.Run("a failed publish is retried", func(t *testing.T) {
		down := errors.New("nats: no responders")
		err := fakeVerifier(t, &fakePublisher{err: down}).handle(t.Context(), rawMsg(completed, false))
		if !errors.Is(err, down) || bus.IsPermanent(err) {
			t.Fatalf("err %v, want a transient error wrapping the publish failure", err)
		}
	})
}
