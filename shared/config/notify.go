package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
)

// Notification defaults.
const (
	// DefaultEscalateAfterFailures is how many delivery or authentication
	// failures of one recipient escalate it.
	DefaultEscalateAfterFailures = 2
	// DefaultPauseRate is the bounce or expiry rate over a tenant's last
	// PauseWindow envelopes past which its reminders pause (2 %).
	DefaultPauseRate = 0.02
	// DefaultPauseWindow is how many of a tenant's latest envelopes the
	// pause rate is measured over.
	DefaultPauseWindow = 50
)

// Channel kinds.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
)

// NotifyEvents are the notification names a channel's events filter may
// list (the part after "countersign.").
var NotifyEvents = []string{"reminder_due", "escalation", "expiry_warning", "export_failed", "playbook_paused"}

// Notify is a tenant's reminder and escalation playbook (services/notifier).
type Notify struct {
	// Reminders are the offsets after `sent` at which each recipient who
	// has not signed or declined is reminded. Default: none.
	Reminders []Duration `yaml:"reminders"`
	// EscalateAfterFailures: this many delivery or authentication
	// failures of one recipient escalate it (default 2).
	EscalateAfterFailures int `yaml:"escalate_after_failures"`
	// EscalateUnsignedAfter: a recipient silent this long after `sent` is
	// escalated (0: never).
	EscalateUnsignedAfter Duration `yaml:"escalate_unsigned_after"`
	// ExpiryWarning: how long before the provider's expiry, where known,
	// to warn (0: never).
	ExpiryWarning Duration `yaml:"expiry_warning"`
	// Alternates maps a recipient's email to the one who replaces it at
	// the provider on escalation.
	Alternates map[string]string `yaml:"alternates"`
	// Channels are where notifications go.
	Channels []Channel `yaml:"channels"`
	// Pause pauses the tenant's reminders when its bounce or expiry rate
	// runs high (an addition to the contract, documented in README).
	Pause Pause `yaml:"pause"`
}

// Pause is when a tenant's reminders pause.
type Pause struct {
	// Rate is the bounce or expiry rate (0..1) over the last Window
	// envelopes past which reminders pause (default 0.02).
	Rate float64 `yaml:"rate"`
	// Window is how many of the latest envelopes count (default 50).
	Window int `yaml:"window"`
}

// Channel is one destination of notifications.
type Channel struct {
	// Kind is "webhook" or "email".
	Kind string `yaml:"kind"`
	// webhook: the URL POSTed to and the whsec_ signing secret.
	URL    string `yaml:"url"`
	Secret Secret `yaml:"secret"`
	// email: host:port of the SMTP server (STARTTLS when offered), the
	// sender, the recipients and optional credentials.
	SMTP     string   `yaml:"smtp"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	Username string   `yaml:"username"`
	Password Secret   `yaml:"password"`
	// Events filters what the channel receives ("escalation", …); empty:
	// every notification.
	Events []string `yaml:"events"`
}

// Wants reports whether the channel takes the notification event (its
// name with or without the "countersign." prefix).
func (c Channel) Wants(event string) bool {
	return len(c.Events) == 0 || slices.Contains(c.Events, strings.TrimPrefix(event, "countersign."))
}

func (n *Notify) applyDefaults() {
	setInt(&n.EscalateAfterFailures, DefaultEscalateAfterFailures)
	setFloat(&n.Pause.Rate, DefaultPauseRate)
	setInt(&n.Pause.Window, DefaultPauseWindow)
}

func (v *validator) notify(n *Notify, path string) {
	if n == nil {
		return
	}
	for i, r := range n.Reminders {
		p := fmt.Sprintf("%s.reminders[%d]", path, i)
		switch {
		case r <= 0:
			v.add(p, "must be positive")
		case i > 0 && r <= n.Reminders[i-1]:
			v.add(p, "must come after reminders[%d] (%s)", i-1, n.Reminders[i-1].D())
		}
	}
	if n.EscalateAfterFailures < 0 {
		v.add(path+".escalate_after_failures", "must not be negative")
	}
	v.nonNegative(path+".escalate_unsigned_after", float64(n.EscalateUnsignedAfter))
	v.nonNegative(path+".expiry_warning", float64(n.ExpiryWarning))
	for from, to := range n.Alternates {
		p := path + ".alternates." + from
		if !validAddress(from) {
			v.add(p, "key is not an email address")
		}
		if !validAddress(to) {
			v.add(p, "value is not an email address")
		} else if strings.EqualFold(from, to) {
			v.add(p, "a recipient cannot be its own alternate")
		}
	}
	if n.Pause.Rate < 0 || n.Pause.Rate > 1 {
		v.add(path+".pause.rate", "must be between 0 and 1")
	}
	if n.Pause.Window < 0 {
		v.add(path+".pause.window", "must not be negative")
	}
	for i := range n.Channels {
		v.channel(&n.Channels[i], fmt.Sprintf("%s.channels[%d]", path, i))
	}
}

func (v *validator) channel(c *Channel, path string) {
	for i, e := range c.Events {
		if !slices.Contains(NotifyEvents, strings.TrimPrefix(e, "countersign.")) {
			v.add(fmt.Sprintf("%s.events[%d]", path, i), "unknown event %q (want one of %s)", e, strings.Join(NotifyEvents, ", "))
		}
	}
	notFor := func(field string, set bool) {
		if set {
			v.add(path+"."+field, "does not apply to kind %s", c.Kind)
		}
	}
	switch c.Kind {
	case ChannelWebhook:
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(path+".url", "want an http(s) URL")
		}
		if !validWebhookSecret(c.Secret.Value()) {
			v.add(path+".secret", "want a whsec_ secret (base64 after the prefix)")
		}
		notFor("smtp", c.SMTP != "")
		notFor("from", c.From != "")
		notFor("to", len(c.To) > 0)
		notFor("username", c.Username != "")
		notFor("password", !c.Password.IsZero())
	case ChannelEmail:
		if host, port, ok := strings.Cut(c.SMTP, ":"); !ok || host == "" || port == "" {
			v.add(path+".smtp", "want host:port")
		}
		if !validAddress(c.From) {
			v.add(path+".from", "want an email address")
		}
		if len(c.To) == 0 {
			v.add(path+".to", "at least one recipient is required")
		}
		for i, to := range c.To {
			if !validAddress(to) {
				v.add(fmt.Sprintf("%s.to[%d]", path, i), "want an email address")
			}
		}
		if c.Username == "" && !c.Password.IsZero() {
			v.add(path+".password", "a password needs a username")
		}
		notFor("url", c.URL != "")
		notFor("secret", !c.Secret.IsZero())
	default:
		v.add(path+".kind", "unknown channel kind %q (want webhook or email)", c.Kind)
	}
}

// validAddress reports whether s is one bare email address.
func validAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}
