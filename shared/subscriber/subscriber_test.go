package subscriber_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/subjects"
	"github.com/countersign/countersign/shared/subscriber"
)

// quiet swallows the logs of tests that provoke errors on purpose.
var quiet = slog.New(slog.DiscardHandler)

func TestSubscribeFilters(t *testing.T) {
	js := startStream(t)
	c := newChain()
	// Published before subscribing: a new durable starts at the beginning.
	published := []envelope.Entry{
		c.publish(t, js, "acme", "e1", envelope.TypeSent),
		c.publish(t, js, "acme", "e1", envelope.TypeCompleted),
		c.publish(t, js, "globex", "e2", envelope.TypeSent),
		c.publish(t, js, "acme", "odd id/1", envelope.TypeRecipientSigned),
		c.publish(t, js, "globex", "e2", envelope.TypeVoided),
		c.publish(t, js, "acme", "e3", envelope.TypeStale),
	}
	tests := []struct {
		name string
		opts subscriber.Options
		want func(e envelope.Entry) bool
	}{
		{"all", subscriber.Options{}, func(envelope.Entry) bool { return true }},
		{"tenant", subscriber.Options{Tenant: "acme"}, func(e envelope.Entry) bool { return e.Tenant == "acme" }},
		{"one type", subscriber.Options{Types: []envelope.Type{envelope.TypeSent}},
			func(e envelope.Entry) bool { return e.Type == envelope.TypeSent }},
		{"several types", subscriber.Options{Types: []envelope.Type{envelope.TypeCompleted, envelope.TypeVoided, envelope.TypeCompleted}},
			func(e envelope.Entry) bool { return e.Type == envelope.TypeCompleted || e.Type == envelope.TypeVoided }},
		{"tenant and type", subscriber.Options{Tenant: "globex", Types: []envelope.Type{envelope.TypeSent}},
			func(e envelope.Entry) bool { return e.Tenant == "globex" && e.Type == envelope.TypeSent }},
		{"audit type", subscriber.Options{Types: []envelope.Type{envelope.TypeStale}},
			func(e envelope.Entry) bool { return e.Type == envelope.TypeStale }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, e := range published {
				if tt.want(e) {
					want = append(want, e.Subject())
				}
			}
			rec := newRecorder()
			tt.opts.Durable = fmt.Sprintf("filters-%d", i)
			sub, err := subscriber.Subscribe(t.Context(), js, tt.opts, rec.handle)
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			defer sub.Stop()
			meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
				if got := rec.subjects(); !slices.Equal(got, want) {
					return fmt.Errorf("got %v, want %v", got, want)
				}
				return nil
			})
			waitSettled(t, sub.Consumer())
			if got := rec.subjects(); !slices.Equal(got, want) {
				t.Fatalf("after settling: got %v, want %v", got, want)
			}
		})
	}
}

func TestSubscribeHandsEntryAndRawBytes(t *testing.T) {
	js := startStream(t)
	rec := newRecorder()
	sub, err := subscriber.Subscribe(t.Context(), js, subscriber.Options{Durable: "raw"}, rec.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer sub.Stop()
	c := newChain()
	e1 := c.publish(t, js, "acme", "e1", envelope.TypeSent)
	e2 := c.publish(t, js, "acme", "e1", envelope.TypeDelivered)
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if n := len(rec.subjects()); n != 2 {
			return fmt.Errorf("%d entries", n)
		}
		return nil
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !reflect.DeepEqual(rec.entries[0], e1) || !reflect.DeepEqual(rec.entries[1], e2) {
		t.Fatalf("entries %+v, want %+v then %+v", rec.entries, e1, e2)
	}
	if err := envelope.VerifyChain(rec.raw); err != nil {
		t.Fatalf("raw bytes are not the published chain: %v", err)
	}
}

func TestSubscribeRedeliversOnError(t *testing.T) {
	js := startStream(t)
	rec := newRecorder()
	rec.fail = func(e envelope.Entry, call int) error {
		if e.Type == envelope.TypeSent && call < 3 {
			return errors.New("downstream unavailable")
		}
		return nil
	}
	sub, err := subscriber.Subscribe(t.Context(), js, subscriber.Options{Durable: "retry", RetryDelay: 5 * time.Millisecond}, rec.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer sub.Stop()
	e := newChain().publish(t, js, "acme", "e1", envelope.TypeSent)
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if got := rec.subjects(); len(got) != 1 {
			return fmt.Errorf("handled %v", got)
		}
		return nil
	})
	waitSettled(t, sub.Consumer())
	if n := rec.callsFor(e.ID); n != 3 {
		t.Fatalf("handler called %d times, want 3 (two failures, one success)", n)
	}
}

func TestSubscribeMaxDeliverAndPanics(t *testing.T) {
	tests := []struct {
		name    string
		handler func() error
	}{
		{"error", func() error { return errors.New("always") }},
		{"panic", func() error { panic("handler bug") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := startStream(t)
			rec := newRecorder()
			rec.fail = func(e envelope.Entry, _ int) error {
				if e.Type == envelope.TypeSent {
					return tt.handler()
				}
				return nil
			}
			sub, err := subscriber.Subscribe(t.Context(), js, subscriber.Options{Durable: "poison", MaxDeliver: 2, RetryDelay: time.Millisecond, Logger: quiet}, rec.handle)
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			defer sub.Stop()
			c := newChain()
			bad := c.publish(t, js, "acme", "e1", envelope.TypeSent)
			good := c.publish(t, js, "acme", "e1", envelope.TypeDelivered)
			meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
				if n := rec.callsFor(good.ID); n != 1 {
					return fmt.Errorf("good entry handled %d times", n)
				}
				return nil
			})
			waitSettled(t, sub.Consumer())
			if n := rec.callsFor(bad.ID); n != 2 {
				t.Fatalf("poison entry delivered %d times, want MaxDeliver 2", n)
			}
		})
	}
}

func TestSubscribeTerminatesUndecodable(t *testing.T) {
	js := startStream(t)
	rec := newRecorder()
	sub, err := subscriber.Subscribe(t.Context(), js, subscriber.Options{Durable: "undecodable", Logger: quiet}, rec.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer sub.Stop()
	if _, err := js.Publish(t.Context(), "envelope.acme.e0.sent", []byte("{not json")); err != nil {
		t.Fatalf("publish: %v", err)
	}
	e := newChain().publish(t, js, "acme", "e1", envelope.TypeSent)
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if got := rec.subjects(); !slices.Equal(got, []string{e.Subject()}) {
			return fmt.Errorf("handled %v", got)
		}
		return nil
	})
	waitSettled(t, sub.Consumer())
}

func TestDurableResumesAfterStop(t *testing.T) {
	js := startStream(t)
	c := newChain()
	opts := subscriber.Options{Durable: "resume", Tenant: "acme"}

	first := newRecorder()
	sub, err := subscriber.Subscribe(t.Context(), js, opts, first.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	var before []string
	for _, typ := range []envelope.Type{envelope.TypeSent, envelope.TypeDelivered, envelope.TypeRecipientSigned} {
		before = append(before, c.publish(t, js, "acme", "e1", typ).Subject())
	}
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if got := first.subjects(); !slices.Equal(got, before) {
			return fmt.Errorf("got %v", got)
		}
		return nil
	})
	waitSettled(t, sub.Consumer())
	sub.Stop()
	sub.Stop() // idempotent
	select {
	case <-sub.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if err := sub.Err(); err != nil {
		t.Fatalf("Err after Stop = %v", err)
	}

	var after []string
	for _, typ := range []envelope.Type{envelope.TypeCompleted, envelope.TypeStale} {
		after = append(after, c.publish(t, js, "acme", "e1", typ).Subject())
	}
	second := newRecorder()
	opts.DeliverNew = true // ignored: the durable exists and keeps its position
	sub2, err := subscriber.Subscribe(t.Context(), js, opts, second.handle)
	if err != nil {
		t.Fatalf("Subscribe again: %v", err)
	}
	defer sub2.Stop()
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if got := second.subjects(); !slices.Equal(got, after) {
			return fmt.Errorf("got %v, want only %v", got, after)
		}
		return nil
	})
	waitSettled(t, sub2.Consumer())
	if got := second.subjects(); !slices.Equal(got, after) {
		t.Fatalf("resumed durable got %v, want %v", got, after)
	}
}

func TestDeliverNew(t *testing.T) {
	js := startStream(t)
	c := newChain()
	c.publish(t, js, "acme", "e1", envelope.TypeSent)
	rec := newRecorder()
	sub, err := subscriber.Subscribe(t.Context(), js, subscriber.Options{Durable: "new", DeliverNew: true}, rec.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer sub.Stop()
	want := []string{c.publish(t, js, "acme", "e1", envelope.TypeDelivered).Subject()}
	meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
		if got := rec.subjects(); !slices.Equal(got, want) {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return nil
	})
	waitSettled(t, sub.Consumer())
	if got := rec.subjects(); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestSubscriptionEnds(t *testing.T) {
	t.Run("context cancelled", func(t *testing.T) {
		js := startStream(t)
		ctx, cancel := context.WithCancel(t.Context())
		sub, err := subscriber.Subscribe(ctx, js, subscriber.Options{Durable: "ctx"}, newRecorder().handle)
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		cancel()
		select {
		case <-sub.Done():
		case <-time.After(wait):
			t.Fatal("Done not closed after the context was cancelled")
		}
		if err := sub.Err(); err != nil {
			t.Fatalf("Err = %v, want nil", err)
		}
	})
	t.Run("consumer deleted", func(t *testing.T) {
		js := startStream(t)
		sub, err := subscriber.Subscribe(t.Context(), js, subscriber.Options{Durable: "deleted"}, newRecorder().handle)
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		defer sub.Stop()
		// Delete while a pull request waits, so the server answers it with
		// 409 Consumer Deleted (otherwise missed heartbeats reveal it, later).
		meshtest.CheckFor(t, wait, 10*time.Millisecond, func() error {
			info, err := sub.Consumer().Info(t.Context())
			if err == nil && info.NumWaiting == 0 {
				err = errors.New("no pull request waiting yet")
			}
			return err
		})
		if err := js.DeleteConsumer(t.Context(), subjects.StreamEnvelopes, "deleted"); err != nil {
			t.Fatalf("delete consumer: %v", err)
		}
		select {
		case <-sub.Done():
		case <-time.After(wait):
			t.Fatal("Done not closed after the consumer was deleted")
		}
		if err := sub.Err(); !errors.Is(err, jetstream.ErrConsumerDeleted) {
			t.Fatalf("Err = %v, want ErrConsumerDeleted", err)
		}
	})
}

func TestSubscribeRejects(t *testing.T) {
	js := startStream(t)
	h := newRecorder().handle
	tests := []struct {
		name    string
		opts    subscriber.Options
		handler subscriber.Handler
		want    error
	}{
		{"no durable", subscriber.Options{}, h, subscriber.ErrNoDurable},
		{"no handler", subscriber.Options{Durable: "x"}, nil, subscriber.ErrNoHandler},
		{"wildcard tenant", subscriber.Options{Durable: "x", Tenant: "*"}, h, subscriber.ErrInvalidOption},
		{"dotted tenant", subscriber.Options{Durable: "x", Tenant: "a.b"}, h, subscriber.ErrInvalidOption},
		{"unknown type", subscriber.Options{Durable: "x", Types: []envelope.Type{"signed"}}, h, subscriber.ErrInvalidOption},
		{"negative max deliver", subscriber.Options{Durable: "x", MaxDeliver: -2}, h, subscriber.ErrInvalidOption},
		{"negative retry delay", subscriber.Options{Durable: "x", RetryDelay: -time.Second}, h, subscriber.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := subscriber.Subscribe(t.Context(), js, tt.opts, tt.handler)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if sub != nil {
				t.Fatal("a subscription came back with the error")
			}
		})
	}
}

func TestSubscribeWithoutStream(t *testing.T) {
	n := meshtest.StartNATS(t)
	_, err := subscriber.Subscribe(t.Context(), n.JS, subscriber.Options{Durable: "x"}, newRecorder().handle)
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("err = %v, want ErrStreamNotFound", err)
	}
}
