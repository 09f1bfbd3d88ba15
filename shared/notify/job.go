package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
)

// SendPrefix is the subject prefix of delivery jobs in NOTIFY:
// notify.send.<tenant>.<channel id>.
const SendPrefix = "notify.send."

// job is one notification for one channel, as stored in NOTIFY. The
// channel is named by its id, never by its secrets.
type job struct {
	ID           string       `json:"id"`
	Channel      string       `json:"channel"`
	Notification Notification `json:"notification"`
}

// ChannelID names a channel by what it sends to (kind, URL, SMTP server,
// sender and recipients), so a job still finds its channel after the
// config is reloaded with channels reordered, and finds none after the
// channel is removed.
func ChannelID(c config.Channel) string {
	h := sha256.Sum256([]byte(strings.Join(append([]string{c.Kind, c.URL, c.SMTP, c.From}, c.To...), "\x00")))
	return hex.EncodeToString(h[:6])
}

// Publisher is the part of JetStream Enqueue needs.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Enqueue writes one delivery job per channel of channels that wants n
// (its events filter) to NOTIFY, deduplicated by n.ID and the channel:
// enqueueing the same notification again within the stream's duplicate
// window adds nothing. It returns how many jobs were written. n.ID and
// n.Data.Tenant are required.
func Enqueue(ctx context.Context, js Publisher, channels []config.Channel, n Notification) (int, error) {
	if n.ID == "" || !envelope.ValidTenant(n.Data.Tenant) {
		return 0, fmt.Errorf("%w: notification without id or valid tenant", ErrBadJob)
	}
	count := 0
	for _, c := range channels {
		if !c.Wants(n.Type) {
			continue
		}
		j := job{ID: n.ID, Channel: ChannelID(c), Notification: n}
		data, err := json.Marshal(j)
		if err != nil {
			return count, fmt.Errorf("notify: encode job: %w", err)
		}
		msg := nats.NewMsg(SendPrefix + n.Data.Tenant + "." + j.Channel)
		msg.Data = data
		msg.Header.Set(bus.HeaderTenant, n.Data.Tenant)
		if n.Data.EnvelopeID != "" {
			msg.Header.Set(bus.HeaderEnvelope, n.Data.EnvelopeID)
		}
		if _, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(n.ID+"."+j.Channel)); err != nil {
			return count, fmt.Errorf("notify: enqueue %s for channel %s: %w", n.Type, j.Channel, err)
		}
		count++
	}
	return count, nil
}
