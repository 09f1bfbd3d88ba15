package reconciler

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
)

// statePublisher publishes canonical events to STATE exactly as the
// verifier does (bus.PublishEvents), so statesync cannot tell a poll from
// a webhook but by its source, and a webhook that arrives later with the
// same semantic id adds nothing.
type statePublisher struct {
	js jetstream.JetStream
}

// Publish implements Publisher: every event is sent before any ack is
// awaited, and all must be acked.
func (p statePublisher) Publish(ctx context.Context, evs []envelope.Event) error {
	if err := bus.PublishEvents(ctx, p.js, evs); err != nil {
		return fmt.Errorf("reconciler: %w", err)
	}
	return nil
}
