package bus

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream API error codes of a cluster that is still forming or
// electing: retrying is the answer. nats.go names neither.
const (
	codeNoSuitablePeers    jetstream.ErrorCode = 10005 // fewer peers known than the replicas asked for
	codeClusterUnavailable jetstream.ErrorCode = 10008 // JetStream system temporarily unavailable
)

// setupPause is how long SetupWaiting waits between attempts.
const setupPause = 500 * time.Millisecond

// SetupWaiting is Setup for a service starting beside its NATS cluster:
// while the cluster cannot place or answer yet — too few peers joined
// for the replicas, no meta leader, no responders, JetStream not yet
// enabled — it tries again every half second until ctx ends, logging
// each wait; any other error ends it at once (a permission refused or a
// bad topology will not heal by waiting). Setup is idempotent, so a
// repeat only finishes what the last attempt began.
func SetupWaiting(ctx context.Context, js jetstream.JetStream, t Topology, log *slog.Logger) error {
	for {
		err := Setup(ctx, js, t)
		if err == nil || !clusterForming(err) || ctx.Err() != nil {
			return err
		}
		log.Warn("bus: waiting for JetStream to declare streams", "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(setupPause):
		}
	}
}

// clusterForming reports whether err is a cluster not ready yet.
func clusterForming(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case codeNoSuitablePeers, codeClusterUnavailable,
			jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount:
			return true
		}
		return false
	}
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
}
