package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers/standardwebhooks"
)

// DefaultTimeout bounds one delivery attempt (HTTP request or SMTP session).
const DefaultTimeout = 15 * time.Second

// Deliverer sends delivery jobs to their channels. Its Handle is a
// bus.Handler for the notify.send.> jobs.
type Deliverer struct {
	// Channels returns a tenant's configured channels (nil: none).
	Channels func(tenant string) []config.Channel
	// HTTP posts webhooks (default: a client with Timeout).
	HTTP *http.Client
	// Timeout bounds one attempt (default DefaultTimeout).
	Timeout time.Duration
	// Now stamps webhook-timestamp (default time.Now).
	Now func() time.Time
	// TLS, when set, is the STARTTLS configuration (tests trust their own
	// server's certificate with it); ServerName is filled in per channel.
	TLS *tls.Config
	// Sent, when set, is called after each successful send (metrics).
	Sent func(kind, event string)
}

// Handle delivers one job: nil once the channel took it; a transient
// error (retried with backoff, then the DLQ) when the channel failed;
// Permanent for a malformed job or a channel no longer configured.
func (d *Deliverer) Handle(ctx context.Context, m *bus.Message) error {
	var j job
	if err := json.Unmarshal(m.Data, &j); err != nil || j.ID == "" {
		return bus.Permanent(fmt.Errorf("%w: %s", ErrBadJob, m.Subject))
	}
	j.Notification.ID = j.ID
	var ch *config.Channel
	if d.Channels != nil {
		for _, c := range d.Channels(j.Notification.Data.Tenant) {
			if ChannelID(c) == j.Channel {
				ch = &c
				break
			}
		}
	}
	if ch == nil {
		return bus.Permanent(fmt.Errorf("%w: %s of tenant %s", ErrNoChannel, j.Channel, j.Notification.Data.Tenant))
	}
	if err := d.Send(ctx, *ch, j.Notification); err != nil {
		return err
	}
	if d.Sent != nil {
		d.Sent(ch.Kind, j.Notification.Event())
	}
	return nil
}

// Send sends n to one channel now, once. It returns an error wrapping
// ErrChannel when the channel did not take it.
func (d *Deliverer) Send(ctx context.Context, c config.Channel, n Notification) error {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch c.Kind {
	case config.ChannelWebhook:
		return d.post(ctx, c, n)
	case config.ChannelEmail:
		return d.mail(ctx, c, n, timeout)
	}
	return bus.Permanent(fmt.Errorf("%w: unknown kind %q", ErrNoChannel, c.Kind))
}

// post sends the Standard Webhooks–signed POST. The webhook-id is the
// notification's id on every attempt, so the receiver can dedupe.
func (d *Deliverer) post(ctx context.Context, c config.Channel, n Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return bus.Permanent(fmt.Errorf("notify: encode %s: %w", n.ID, err))
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	ts := now()
	sig, err := standardwebhooks.Sign(c.Secret.Value(), n.ID, ts, body)
	if err != nil {
		return bus.Permanent(fmt.Errorf("notify: sign %s: %w", n.ID, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return bus.Permanent(fmt.Errorf("notify: request to channel %s: %w", ChannelID(c), err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", n.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	client := d.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: webhook %s: %w", ErrChannel, ChannelID(c), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: webhook %s answered %d", ErrChannel, ChannelID(c), resp.StatusCode)
	}
	return nil
}

// mail sends the notification as a plain-text email, with STARTTLS when
// the server offers it and authentication when a username is set. The
// Message-ID is derived from the notification id, so a resent job carries
// the same one.
func (d *Deliverer) mail(ctx context.Context, c config.Channel, n Notification, timeout time.Duration) error {
	host, portStr, err := net.SplitHostPort(c.SMTP)
	if err != nil {
		return bus.Permanent(fmt.Errorf("%w: smtp %q: %w", ErrNoChannel, c.SMTP, err))
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return bus.Permanent(fmt.Errorf("%w: smtp port %q", ErrNoChannel, portStr))
	}
	m := mail.NewMsg()
	if err := m.From(c.From); err != nil {
		return bus.Permanent(fmt.Errorf("notify: from: %w", err))
	}
	if err := m.To(c.To...); err != nil {
		return bus.Permanent(fmt.Errorf("notify: to: %w", err))
	}
	m.SetMessageIDWithValue(strings.TrimPrefix(n.ID, "msg_") + "@countersign")
	m.SetDateWithValue(n.Timestamp)
	m.Subject(Subject(n))
	m.SetGenHeader("X-Countersign-Event", n.Type)
	m.SetBodyString(mail.TypeTextPlain, Text(n))
	opts := []mail.Option{
		mail.WithPort(port), mail.WithTimeout(timeout), mail.WithTLSPortPolicy(mail.TLSOpportunistic),
	}
	if d.TLS != nil {
		tc := d.TLS.Clone()
		tc.ServerName = host
		opts = append(opts, mail.WithTLSConfig(tc))
	}
	if c.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(c.Username), mail.WithPassword(c.Password.Value()))
	}
	client, err := mail.NewClient(host, opts...)
	if err != nil {
		return bus.Permanent(fmt.Errorf("%w: smtp client: %w", ErrNoChannel, err))
	}
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("%w: email %s: %w", ErrChannel, ChannelID(c), err)
	}
	return nil
}

// Subject is the email subject of a notification.
func Subject(n Notification) string {
	s := "[countersign] " + strings.ReplaceAll(n.Event(), "_", " ") + ": " + n.Data.Tenant
	if n.Data.EnvelopeID != "" {
		s += " envelope " + n.Data.EnvelopeID
	}
	if r := n.Data.Recipient; r != nil && r.Email != "" {
		s += " (" + r.Email + ")"
	}
	return s
}

// Text is the plain-text email body of a notification: its fields, one
// per line, and the JSON a webhook would carry.
func Text(n Notification) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-12s %s\n", k+":", v)
		}
	}
	line("event", n.Type)
	line("time", n.Timestamp.UTC().Format(time.RFC3339))
	line("tenant", n.Data.Tenant)
	line("provider", n.Data.Provider)
	line("envelope", n.Data.EnvelopeID)
	if r := n.Data.Recipient; r != nil {
		line("recipient", strings.TrimSpace(r.Email+" "+r.ID))
	}
	line("reason", n.Data.Reason)
	if n.Data.Reminder > 0 {
		line("reminder", strconv.Itoa(n.Data.Reminder))
	}
	js, _ := json.Marshal(n)
	b.WriteString("\n")
	b.Write(js)
	b.WriteString("\n")
	return b.String()
}
