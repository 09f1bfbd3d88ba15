package ingress

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// storeFailureWindow is how long one refused write keeps /readyz failing:
// readiness must say what a provider would meet now, and a refused write
// a few seconds ago is the best evidence of that; it clears by itself, so
// the check does not need traffic to recover.
const storeFailureWindow = 10 * time.Second

// nats-server's error codes for a store that cannot take the write
// (server/errors.json: JSInsufficientResourcesErr, JSStreamStoreFailedF).
const (
	errCodeInsufficientResources jetstream.ErrorCode = 10023
	errCodeStreamStoreFailed     jetstream.ErrorCode = 10077
)

// storeHealth remembers when JetStream last refused to store a callback.
type storeHealth struct {
	lastRefusal atomic.Int64 // unix nanos; 0 = never
}

// observe records the outcome of one persist.
func (h *storeHealth) observe(err error) {
	if refusedByStore(err) {
		h.lastRefusal.Store(time.Now().UnixNano())
	}
}

// check fails while the last refusal is recent, and when JetStream does
// not answer for the account at all (turned off after a full disk).
func (h *storeHealth) check(js jetstream.JetStream) func(context.Context) error {
	return func(ctx context.Context) error {
		if at := h.lastRefusal.Load(); at != 0 && time.Since(time.Unix(0, at)) < storeFailureWindow {
			return errors.New("JetStream refused a write moments ago (store full?)")
		}
		if _, err := js.AccountInfo(ctx); err != nil {
			return fmt.Errorf("JetStream: %w", err)
		}
		return nil
	}
}

// refusedByStore reports whether err is JetStream refusing the write
// (insufficient resources, store limits, JetStream off) rather than, say,
// a slow ack.
func refusedByStore(err error) bool {
	if err == nil {
		return false
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case errCodeInsufficientResources, errCodeStreamStoreFailed,
			jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount:
			return true
		}
		return api.Code == 503
	}
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}
