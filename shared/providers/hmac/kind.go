package hmac

import (
	"maps"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/kinds"
)

// Kind is what this package declares of kind hmac (registry.All): a
// provider described by its config alone, named by its name.
var Kind = kinds.Kind{
	Name:   providers.KindHMAC,
	Fields: []string{"secrets", "name", "signature", "signed", "timestamp", "events", "types"},
	Check:  check,
	Adapter: func(p config.Provider) (providers.Adapter, error) {
		a, err := New(SpecOf(&p))
		if err != nil {
			return nil, err
		}
		return a, nil
	},
}

// check checks a kind hmac provider through the adapter's own checks, so
// config and adapter cannot disagree. Messages name fields and problems,
// never a secret's value.
func check(p *config.Provider) []config.FieldError {
	var out []config.FieldError
	for _, pr := range SpecOf(p).Check() {
		out = append(out, kinds.Problem(pr.Field, "%s", pr.Message))
	}
	return out
}

// SpecOf returns p as the adapter's spec (secrets resolved).
func SpecOf(p *config.Provider) Spec {
	s := Spec{Name: p.Name, Signed: p.Signed, Types: maps.Clone(p.Types)}
	for _, sec := range p.Secrets {
		s.Secrets = append(s.Secrets, sec.Value())
	}
	if sig := p.Signature; sig != nil {
		s.Signature = SignatureSpec{From: sig.From, Encoding: sig.Encoding, Prefix: sig.Prefix, Algorithm: sig.Algorithm, Param: sig.Param}
	}
	if ts := p.Timestamp; ts != nil {
		s.Timestamp = &TimestampSpec{From: ts.From, Tolerance: ts.Tolerance.D(), Param: ts.Param}
	}
	if ev := p.Events; ev != nil {
		s.Events = EventsSpec{
			Path: ev.Path, Type: ev.Type, EnvelopeID: ev.EnvelopeID, OccurredAt: ev.OccurredAt,
			Status: ev.Status, RecipientEmail: ev.RecipientEmail, DeliveryID: ev.DeliveryID,
		}
	}
	return s
}
