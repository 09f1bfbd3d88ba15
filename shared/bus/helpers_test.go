package bus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
)

const waitLong = 15 * time.Second

// rig is one embedded NATS with the topology set up.
type rig struct {
	t    *testing.T
	nats *meshtest.NATS
	js   jetstream.JetStream
	topo bus.Topology
}

func newRig(t *testing.T, topo bus.Topology) *rig {
	t.Helper()
	n := meshtest.StartNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := bus.Setup(ctx, n.JS, topo); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return &rig{t: t, nats: n, js: n.JS, topo: topo}
}

func quietLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

// stateConfig is a statesync-like worker config for tests.
func (r *rig) stateConfig() bus.WorkerConfig {
	return bus.WorkerConfig{
		Service: "statesync", Stream: bus.StreamState, Consumer: bus.ConsumerStatesync,
		Concurrency: 4, MaxDeliver: r.topo.MaxDeliver, Logger: quietLogger(),
	}
}

// run starts a worker and returns a function that stops it and returns
// Run's error; cleanup stops it too.
func (r *rig) run(cfg bus.WorkerConfig, h bus.Handler, mw ...bus.Middleware) (stop func() error) {
	r.t.Helper()
	w, err := bus.NewWorker(r.js, cfg, h, mw...)
	if err != nil {
		r.t.Fatalf("NewWorker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var result error
	stopped := false
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			result = <-done
		}
		return result
	}
	r.t.Cleanup(func() { _ = stop() })
	return stop
}

// publishState publishes one STATE message for tenant/envelope.
func (r *rig) publishState(tenant, envelopeID, body string) uint64 {
	r.t.Helper()
	m := nats.NewMsg(bus.StateSubject(tenant, "tok-"+envelopeID))
	m.Data = []byte(body)
	m.Header.Set(bus.HeaderTenant, tenant)
	m.Header.Set(bus.HeaderEnvelope, envelopeID)
	m.Header.Set(bus.HeaderMsgID, "evt-"+envelopeID+"-"+body)
	ack, err := r.js.PublishMsg(context.Background(), m)
	if err != nil {
		r.t.Fatalf("publish: %v", err)
	}
	return ack.Sequence
}

// streamMsgs returns how many messages stream holds.
func (r *rig) streamMsgs(stream string) uint64 {
	r.t.Helper()
	info, err := r.nats.StreamInfo(context.Background(), stream)
	if err != nil {
		r.t.Fatalf("stream info %s: %v", stream, err)
	}
	return info.State.Msgs
}

// deadLetters reads every entry of the DLQ stream.
func (r *rig) deadLetters() ([]bus.DeadLetter, error) {
	ctx := context.Background()
	s, err := r.js.Stream(ctx, bus.StreamDLQ)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []bus.DeadLetter
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var dl bus.DeadLetter
		if err := json.Unmarshal(raw.Data, &dl); err != nil {
			return nil, fmt.Errorf("seq %d: %w", seq, err)
		}
		if raw.Subject != bus.DLQSubject(dl.Service, dl.Tenant) {
			return nil, fmt.Errorf("seq %d on %s, want %s", seq, raw.Subject, bus.DLQSubject(dl.Service, dl.Tenant))
		}
		out = append(out, dl)
	}
	return out, nil
}

// waitDeadLetters waits for exactly n DLQ entries and returns them.
func (r *rig) waitDeadLetters(n int) []bus.DeadLetter {
	r.t.Helper()
	var got []bus.DeadLetter
	meshtest.CheckFor(r.t, waitLong, 20*time.Millisecond, func() error {
		var err error
		got, err = r.deadLetters()
		if err != nil {
			return err
		}
		if len(got) != n {
			return fmt.Errorf("%d dead letters, want %d", len(got), n)
		}
		return nil
	})
	return got
}

// waitStreamEmpty waits until stream holds no messages.
func (r *rig) waitStreamEmpty(stream string) {
	r.t.Helper()
	meshtest.CheckFor(r.t, waitLong, 20*time.Millisecond, func() error {
		if n := r.streamMsgs(stream); n != 0 {
			return fmt.Errorf("%s holds %d messages", stream, n)
		}
		return nil
	})
}
