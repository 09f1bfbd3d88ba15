package config

import (
	"maps"

	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/hmac"
)

// HMAC holds the fields of a generic HMAC provider (kind hmac), inlined
// into Provider; CONTRACT.md "Generic HMAC providers" fixes their names.
// Its secrets are Provider.Secrets: literal bytes, or "base64:…".
type HMAC struct {
	// Name is the URL path segment (/v1/webhooks/{tenant}/{name}) and the
	// provider of its envelopes and ledger entries.
	Name string `yaml:"name"`
	// Signature says where the signature is and how it is written.
	Signature *HMACSignature `yaml:"signature"`
	// Signed is the signed-content template (default "{body}").
	Signed string `yaml:"signed"`
	// Timestamp, when set, is checked against the clock.
	Timestamp *HMACTimestamp `yaml:"timestamp"`
	// Events are JSON pointers into the body.
	Events *HMACEvents `yaml:"events"`
	// Types maps "type" or "type:status" to canonical event types.
	Types map[string]string `yaml:"types"`
}

// HMACSignature is `signature: {from, encoding, prefix, algorithm}`, and
// param (README's addition): the key of the signature among key=value
// pairs at from, as in "t=…, s0=…".
type HMACSignature struct {
	From      string `yaml:"from"`
	Encoding  string `yaml:"encoding"`
	Prefix    string `yaml:"prefix"`
	Algorithm string `yaml:"algorithm"`
	Param     string `yaml:"param"`
}

// HMACTimestamp is `timestamp: {from, tolerance}`, and param as for the
// signature.
type HMACTimestamp struct {
	From      string   `yaml:"from"`
	Tolerance Duration `yaml:"tolerance"`
	Param     string   `yaml:"param"`
}

// HMACEvents is `events: {path, type, envelope_id, occurred_at, status,
// recipient_email, delivery_id}`.
type HMACEvents struct {
	Path           string `yaml:"path"`
	Type           string `yaml:"type"`
	EnvelopeID     string `yaml:"envelope_id"`
	OccurredAt     string `yaml:"occurred_at"`
	Status         string `yaml:"status"`
	RecipientEmail string `yaml:"recipient_email"`
	DeliveryID     string `yaml:"delivery_id"`
}

// ID returns the provider's name under its tenant: the URL path segment
// and the provider of its events. It is the configured name for kind
// hmac, the kind for every other kind.
func (p *Provider) ID() string {
	if p.Kind == providers.KindHMAC {
		return p.Name
	}
	return p.Kind
}

// HMACSpec returns p as the generic HMAC adapter's spec (secrets resolved).
func (p *Provider) HMACSpec() hmac.Spec {
	s := hmac.Spec{Name: p.Name, Signed: p.Signed, Types: maps.Clone(p.Types)}
	for _, sec := range p.Secrets {
		s.Secrets = append(s.Secrets, sec.Value())
	}
	if sig := p.Signature; sig != nil {
		s.Signature = hmac.SignatureSpec{From: sig.From, Encoding: sig.Encoding, Prefix: sig.Prefix, Algorithm: sig.Algorithm, Param: sig.Param}
	}
	if ts := p.Timestamp; ts != nil {
		s.Timestamp = &hmac.TimestampSpec{From: ts.From, Tolerance: ts.Tolerance.D(), Param: ts.Param}
	}
	if ev := p.Events; ev != nil {
		s.Events = hmac.EventsSpec{
			Path: ev.Path, Type: ev.Type, EnvelopeID: ev.EnvelopeID, OccurredAt: ev.OccurredAt,
			Status: ev.Status, RecipientEmail: ev.RecipientEmail, DeliveryID: ev.DeliveryID,
		}
	}
	return s
}

// hmacProvider checks a kind hmac provider through the adapter's own
// checks, so config and adapter cannot disagree.
func (v *validator) hmacProvider(p *Provider, path string) {
	for _, pr := range p.HMACSpec().Check() {
		// Messages name fields and problems, never a secret's value.
		v.add(path+"."+pr.Field, "%s", pr.Message)
	}
}
