package config

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// tenantID is the shape of a tenant id: it appears in URLs and NATS
// subjects, so it must be a safe single token.
var tenantID = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// Validate checks the whole file and returns every problem, joined; each
// is a *FieldError ("<file>: <path>: <problem>") wrapping ErrInvalid.
// Call ApplyDefaults first (Parse does): zero values are not defaults here.
func (f *File) Validate() error {
	name := f.Path
	if name == "" {
		name = "config"
	}
	v := &validator{p: problems{file: name}, lines: f.lines}
	v.adminTokens(&f.Admin, f.Tenants)
	v.tls(f.Admin.TLS, "admin.tls", true)
	v.tls(f.Ingress.TLS, "ingress.tls", false)
	v.ingress(&f.Ingress)
	v.streams(&f.Streams)
	v.retry(&f.Retry)
	ids := map[string]string{}
	for i := range f.Tenants {
		path := fmt.Sprintf("tenants[%d]", i)
		t := &f.Tenants[i]
		if prev, dup := ids[t.ID]; dup && t.ID != "" {
			v.add(path+".id", "duplicate tenant id %q (also %s)", t.ID, prev)
		}
		ids[t.ID] = path
		v.tenant(t, path)
	}
	return v.p.err()
}

type validator struct {
	p     problems
	lines map[string]int
}

// add records a problem at path, with the line of path or of its nearest
// written ancestor (a missing field points at its parent).
func (v *validator) add(path, format string, args ...any) {
	line := 0
	for p := path; p != "" && line == 0; {
		if l, ok := v.lines[p]; ok {
			line = l
			break
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	v.p.add(ErrInvalid, path, line, format, args...)
}

func (v *validator) nonNegative(path string, x float64) {
	if x < 0 {
		v.add(path, "must not be negative")
	}
}

func (v *validator) ingress(in *Ingress) {
	if in.MaxBodyBytes < 0 {
		v.add("ingress.max_body_bytes", "must not be negative")
	}
	v.nonNegative("ingress.read_timeout", float64(in.ReadTimeout))
	v.nonNegative("ingress.write_timeout", float64(in.WriteTimeout))
	v.nonNegative("ingress.idle_timeout", float64(in.IdleTimeout))
	v.nonNegative("ingress.persist_timeout", float64(in.PersistTimeout))
}

func (v *validator) streams(s *Streams) {
	// JetStream allows 1 to 5 replicas.
	if s.Replicas < 1 || s.Replicas > 5 {
		v.add("streams.replicas", "must be between 1 and 5")
	}
	if s.MaxDeliver < 1 {
		v.add("streams.max_deliver", "must be at least 1 (poison messages must reach the DLQ)")
	}
	if !s.EncryptionKey.IsZero() && len(s.EncryptionKey.Value()) < minStoreKey {
		v.add("streams.encryption_key", "too short%s: at least %d characters (e.g. openssl rand -base64 32)", from(s.EncryptionKey), minStoreKey)
	}
	// Each partition costs a durable consumer per pipeline stage.
	if s.Partitions < 1 || s.Partitions > 1024 {
		v.add("streams.partitions", "must be between 1 and 1024")
	}
	// The server holds this many unacknowledged messages per partition.
	if s.InFlight < 1 || s.InFlight > 4096 {
		v.add("streams.in_flight", "must be between 1 and 4096")
	}
	v.nonNegative("streams.max_store", float64(s.MaxStore))
	v.nonNegative("streams.raw_max_age", float64(s.RawMaxAge))
	v.nonNegative("streams.dlq_max_age", float64(s.DLQMaxAge))
	v.nonNegative("streams.ledger_max_age", float64(s.LedgerMaxAge))
}

func (v *validator) tenant(t *Tenant, path string) {
	if !tenantID.MatchString(t.ID) {
		v.add(path+".id", "invalid tenant id %q (want 1 to 64 of a-z 0-9 _ -)", t.ID)
	}
	v.nonNegative(path+".rate_limit.rate", t.RateLimit.Rate)
	v.nonNegative(path+".rate_limit.burst", float64(t.RateLimit.Burst))
	v.notify(t.Notify, path+".notify")
	v.export(t.Export, path+".export")
	// A provider's id (its kind, or its name for kind hmac) is its URL
	// path segment: two of one id under a tenant could not be told apart.
	ids := map[string]string{}
	for j := range t.Providers {
		pp := fmt.Sprintf("%s.providers[%d]", path, j)
		p := &t.Providers[j]
		if prev, dup := ids[p.ID()]; dup && p.ID() != "" {
			if usesField(p.Kind, "name") {
				v.add(pp+".name", "duplicate provider name %q (also %s)", p.ID(), prev)
			} else {
				v.add(pp+".kind", "duplicate provider kind %q (also %s)", p.Kind, prev)
			}
		}
		ids[p.ID()] = pp
		v.provider(p, pp)
	}
}

func (v *validator) provider(p *Provider, path string) {
	k, known := kindNamed(p.Kind)
	switch {
	case p.Kind == "":
		v.add(path+".kind", "kind is required (one of %s)", kindNames())
		return
	case !known:
		v.add(path+".kind", "unknown provider kind %q (want one of %s)", p.Kind, kindNames())
		return
	}
	for _, field := range setFields(p) {
		if !slices.Contains(k.Fields, field) {
			v.add(path+"."+field, "%s does not apply to kind %s", field, p.Kind)
		}
	}
	// The kind checks its own fields (and what its API needs); config
	// places each problem at its field and line.
	if k.Check != nil {
		for _, pr := range k.Check(p) {
			v.add(path+"."+pr.Path, "%s", pr.Problem)
		}
	}
	if p.API != nil && slices.Contains(k.Fields, "api") {
		v.api(p.API, path+".api")
	}
	if p.Reconcile != nil && slices.Contains(k.Fields, "reconcile") {
		v.reconcile(p, path+".reconcile")
	}
}

// reconcile checks a provider's polling schedule: it needs an API to poll,
// and positive intervals (a zero interval would poll in a busy loop).
func (v *validator) reconcile(p *Provider, path string) {
	if p.API == nil {
		v.add(path, "reconcile applies only to a provider with api: (there is nothing to poll)")
		return
	}
	rc := p.Reconcile
	for _, f := range []struct {
		name string
		d    Duration
	}{{"interval", rc.Interval}, {"incident_interval", rc.IncidentInterval}, {"stale_after", rc.StaleAfter}} {
		if f.d <= 0 {
			v.add(path+"."+f.name, "must be positive")
		}
	}
	if rc.IncidentInterval > rc.Interval {
		v.add(path+".incident_interval", "must not exceed interval (incidents tighten polling)")
	}
}

// api checks what every provider API needs; the kind checks its
// credentials (token, account_id).
func (v *validator) api(a *API, path string) {
	if a.BaseURL == "" {
		v.add(path+".base_url", "required")
	} else if u, err := url.Parse(a.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(path+".base_url", "want an absolute http(s) URL")
	}
	v.nonNegative(path+".rate", a.Rate)
	v.nonNegative(path+".burst", float64(a.Burst))
	v.nonNegative(path+".timeout", float64(a.Timeout))
}

// setFields lists the kind-specific fields p has a value for.
func setFields(p *Provider) []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(len(p.Secrets) > 0, "secrets")
	add(p.Tolerance != 0, "tolerance")
	add(len(p.HMACKeys) > 0, "hmac_keys")
	add(!p.APIKey.IsZero(), "api_key")
	add(len(p.ClientIDs) > 0, "client_ids")
	add(!p.CallbackToken.IsZero(), "callback_token")
	add(len(p.APIKeys) > 0, "api_keys")
	add(len(p.CallbackTokens) > 0, "callback_tokens")
	add(p.API != nil, "api")
	add(p.Reconcile != nil, "reconcile")
	add(p.Name != "", "name")
	add(p.Signature != nil, "signature")
	add(p.Signed != "", "signed")
	add(p.Timestamp != nil, "timestamp")
	add(p.Events != nil, "events")
	add(len(p.Types) > 0, "types")
	return out
}

// validWebhookSecret reports whether s is "whsec_" and non-empty base64
// (standard alphabet, padded or not), as Standard Webhooks defines it.
func validWebhookSecret(s string) bool {
	b64, ok := strings.CutPrefix(s, "whsec_")
	if !ok || b64 == "" {
		return false
	}
	if _, err := base64.StdEncoding.DecodeString(b64); err == nil {
		return true
	}
	_, err := base64.RawStdEncoding.DecodeString(b64)
	return err == nil
}

// from names a secret's reference for messages, never its value.
func from(s Secret) string {
	if s.Ref == "" {
		return ""
	}
	return " (from " + s.Ref + ")"
}
