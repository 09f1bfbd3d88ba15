package chaos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/registry"
)

// HeaderPoison marks the poison message the suite plants in RAW.
const HeaderPoison = "Chaos-Poison"

// EventSets maps an envelope key (tenant/provider/envelope id, as in the
// sandbox's truth) to the ids of the distinct events countersign has
// durably accepted for it.
type EventSets map[string]map[string]bool

// Total counts the events of every envelope.
func (s EventSets) Total() int {
	n := 0
	for _, ids := range s {
		n += len(ids)
	}
	return n
}

// AcceptedEvents reads every callback in RAW — what ingress acknowledged,
// each one durably stored before its 2xx — and parses it with the tenant's
// adapters into the distinct events each envelope's ledger must hold
// exactly once. A callback stored but never turned into ledger entries is
// a lost event; the same event twice in a ledger is a duplicate. The
// planted poison message is skipped; a stored callback that does not parse
// is returned in bad (it belongs in the DLQ, and the DLQ check will say so).
// A read that fails — a cluster just healed can still drop an ephemeral
// consumer or leave a request unanswered — is started again until ctx
// ends: reading is idempotent, and the suite is judging the mesh, not
// its own reader.
func AcceptedEvents(ctx context.Context, js jetstream.JetStream, file *config.File) (sets EventSets, raw int, bad []string, err error) {
	err = waitFor(ctx, time.Second, func() error {
		sets, raw, bad, err = readAccepted(ctx, js, file)
		return err
	})
	return sets, raw, bad, err
}

// readAccepted is one read of RAW for AcceptedEvents.
func readAccepted(ctx context.Context, js jetstream.JetStream, file *config.File) (sets EventSets, raw int, bad []string, err error) {
	adapters := map[string]providers.Adapter{}
	for _, t := range file.Tenants {
		for _, p := range t.Providers {
			a, err := registry.New(p)
			if err != nil {
				return nil, 0, nil, fmt.Errorf("chaos: adapter %s/%s: %w", t.ID, p.Kind, err)
			}
			adapters[t.ID+"/"+a.Kind()] = a
		}
	}
	stream, err := js.Stream(ctx, bus.StreamRaw)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("chaos: stream %s: %w", bus.StreamRaw, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("chaos: stream %s info: %w", bus.StreamRaw, err)
	}
	last := info.State.LastSeq
	sets = EventSets{}
	if last == 0 {
		return sets, 0, nil, nil
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("chaos: read %s: %w", bus.StreamRaw, err)
	}
	for {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, 0, nil, fmt.Errorf("chaos: read %s: %w", bus.StreamRaw, err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			meta, err := msg.Metadata()
			if err != nil {
				return nil, 0, nil, fmt.Errorf("chaos: read %s: %w", bus.StreamRaw, err)
			}
			if msg.Headers().Get(HeaderPoison) == "" {
				raw++
				if problem := addEvents(sets, adapters, msg, meta.Sequence.Stream); problem != "" {
					bad = append(bad, problem)
				}
			}
			if meta.Sequence.Stream >= last {
				return sets, raw, bad, nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, 0, nil, fmt.Errorf("chaos: read %s: %w", bus.StreamRaw, err)
		}
		if n == 0 {
			return nil, 0, nil, fmt.Errorf("chaos: read %s: stalled before sequence %d", bus.StreamRaw, last)
		}
	}
}

// addEvents parses one stored callback into sets; it returns a problem
// description when the callback cannot be parsed.
func addEvents(sets EventSets, adapters map[string]providers.Adapter, msg jetstream.Msg, seq uint64) string {
	m := &bus.Message{Subject: msg.Subject(), Data: msg.Data(), Header: msg.Headers(), Stream: bus.StreamRaw, StreamSeq: seq}
	tenant, kind, _, req, err := bus.DecodeRaw(m)
	if err != nil {
		return fmt.Sprintf("RAW %d: %v", seq, err)
	}
	a, ok := adapters[tenant+"/"+kind]
	if !ok {
		return fmt.Sprintf("RAW %d: no adapter for %s/%s", seq, tenant, kind)
	}
	events, err := a.Parse(tenant, req)
	if err != nil {
		return fmt.Sprintf("RAW %d: %v", seq, err)
	}
	for _, ev := range events {
		key := ev.Tenant + "/" + ev.Provider + "/" + ev.EnvelopeID
		if sets[key] == nil {
			sets[key] = map[string]bool{}
		}
		sets[key][ev.ID] = true
	}
	return ""
}
