package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/services/reconciler/internal/incident"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/subjects"
)

// streamSignals reads a provider's health from the streams without a
// consumer: RAW's per-subject count and last message time, and the
// tenant's DLQ count.
type streamSignals struct {
	js  jetstream.JetStream
	now func() time.Time
}

// Signals implements Watcher. The DLQ is per tenant (dlq.<service>.<tenant>),
// so a tenant's dead letters count against each of its providers.
func (s streamSignals) Signals(ctx context.Context, tenant, provider string) (incident.Signals, error) {
	out := incident.Signals{At: s.now()}
	raw, err := s.js.Stream(ctx, bus.StreamRaw)
	if err != nil {
		return out, fmt.Errorf("reconciler: stream %s: %w", bus.StreamRaw, err)
	}
	// RAW has one subject per envelope: a stream info listing them all
	// would grow with the traffic, so an ephemeral consumer counts them.
	subj := subjects.RawFilter(tenant, provider)
	count, err := raw.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject: subj, AckPolicy: jetstream.AckNonePolicy,
		MemoryStorage: true, InactiveThreshold: time.Minute,
	})
	if err != nil {
		return out, fmt.Errorf("reconciler: count callbacks of %s: %w", subj, err)
	}
	info := count.CachedInfo()
	out.Callbacks = info.NumPending
	_ = raw.DeleteConsumer(ctx, info.Name) // else InactiveThreshold removes it
	if out.Callbacks > 0 {
		m, err := raw.GetLastMsgForSubject(ctx, subj)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
		case err != nil:
			return out, fmt.Errorf("reconciler: last callback of %s: %w", subj, err)
		default:
			out.LastCallback = m.Time
		}
	}
	dlq, err := s.js.Stream(ctx, bus.StreamDLQ)
	if err != nil {
		return out, fmt.Errorf("reconciler: stream %s: %w", bus.StreamDLQ, err)
	}
	dinfo, err := dlq.Info(ctx, jetstream.WithSubjectFilter("dlq.*."+tenant))
	if err != nil {
		return out, fmt.Errorf("reconciler: stream %s info: %w", bus.StreamDLQ, err)
	}
	for _, n := range dinfo.State.Subjects {
		out.DeadLetters += n
	}
	return out, nil
}
