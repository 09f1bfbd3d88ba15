package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// Instance is one running service replica, as it answers $SRV.PING.
type Instance struct {
	Name    string `json:"name"`
	ID      string `json:"id"`
	Version string `json:"version"`
}

// Ping sends $SRV.PING and returns every instance that answers within
// window (or until ctx is done): what `nats micro ls` shows, for health
// checks and tests.
func Ping(ctx context.Context, nc *nats.Conn, window time.Duration) ([]Instance, error) {
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return nil, fmt.Errorf("service: ping: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	subject, err := micro.ControlSubject(micro.PingVerb, "", "")
	if err != nil {
		return nil, fmt.Errorf("service: ping: %w", err)
	}
	if err := nc.PublishRequest(subject, inbox, nil); err != nil {
		return nil, fmt.Errorf("service: ping: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	var out []Instance
	for {
		msg, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return out, nil
			}
			return out, fmt.Errorf("service: ping: %w", err)
		}
		var in Instance
		if json.Unmarshal(msg.Data, &in) == nil && in.Name != "" {
			out = append(out, in)
		}
	}
}
