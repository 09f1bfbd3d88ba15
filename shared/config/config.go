// Package config reads countersign's YAML file: tenants, their providers and
// secrets, policies and admin tokens. Loading resolves secret references
// (env:NAME, file:PATH) and validates everything; errors name the file, the
// field and the problem.
package config

import "time"

// File is a whole, validated config file with its secrets resolved.
type File struct {
	// Path is the file the config was read from (for messages).
	Path    string  `yaml:"-"`
	Admin   Admin   `yaml:"admin"`
	Ingress Ingress `yaml:"ingress"`
	Streams Streams `yaml:"streams"`
	// Retry is the workers' transient-error policy (retry.go).
	Retry   Retry    `yaml:"retry"`
	Tenants []Tenant `yaml:"tenants"`

	// lines maps field paths ("tenants[0].id") to their line in the file,
	// so that validation messages can point at it. Nil when built in code.
	lines map[string]int
}

// Admin configures the admin API.
type Admin struct {
	// Tokens are the bearer tokens the admin API accepts (resolved), with
	// the tenants and role of each.
	Tokens []AdminToken `yaml:"tokens"`
	// TLS, when set, serves the admin API over HTTPS (optionally mTLS).
	TLS *TLS `yaml:"tls"`
}

// Ingress holds ingress limits shared by all tenants.
type Ingress struct {
	// MaxBodyBytes caps a callback body (default 10 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ReadTimeout, WriteTimeout and IdleTimeout bound slow clients
	// (defaults 15s, 30s, 120s).
	ReadTimeout  Duration `yaml:"read_timeout"`
	WriteTimeout Duration `yaml:"write_timeout"`
	IdleTimeout  Duration `yaml:"idle_timeout"`
	// PersistTimeout bounds the wait for the JetStream ack (default 5s);
	// past it the answer is 503.
	PersistTimeout Duration `yaml:"persist_timeout"`
	// TLS, when set, serves ingress over HTTPS.
	TLS *TLS `yaml:"tls"`
}

// Streams configures the JetStream topology.
type Streams struct {
	// Replicas is the replica count of every stream and bucket (1, or 3 on
	// a cluster). Default 1.
	Replicas int `yaml:"replicas"`
	// RawMaxAge is how long raw callbacks are kept (default 30 days).
	RawMaxAge Duration `yaml:"raw_max_age"`
	// DLQMaxAge is how long dead letters are kept (default 365 days).
	DLQMaxAge Duration `yaml:"dlq_max_age"`
	// LedgerMaxAge is how long ledger entries are kept (default 0: forever).
	LedgerMaxAge Duration `yaml:"ledger_max_age"`
	// MaxDeliver bounds deliveries of one message to a worker (default
	// 100): the server's hard ceiling, which catches a message that
	// crashes its worker every time. Transient errors are bounded by time
	// (Retry), not by this count.
	MaxDeliver int `yaml:"max_deliver"`
	// Partitions is how many partitions RAW and STATE are split into by
	// envelope; each is applied in order (default 16).
	Partitions int `yaml:"partitions"`
	// InFlight is how many messages of one partition its owner handles
	// at once, in parallel across envelopes and in order within one
	// (default 32; 1 applies a partition one message at a time).
	InFlight int `yaml:"in_flight"`
	// MaxStore is the embedded server's JetStream store limit in bytes
	// (default 0: the size of the file system holding the data dir, so a
	// full disk, not the free space seen at start, is the limit).
	MaxStore int64 `yaml:"max_store"`
	// SyncAlways makes the embedded server fsync every write (slower; the
	// default syncs every 2 minutes and relies on replicas/the OS).
	SyncAlways bool `yaml:"sync_always"`
	// EncryptionKey, when set, makes the embedded server encrypt its
	// JetStream store at rest (a secret: "env:COUNTERSIGN_STORE_KEY").
	EncryptionKey Secret `yaml:"encryption_key"`
}

// Tenant is one tenant: its providers and policies.
type Tenant struct {
	// ID matches [a-z0-9_-]{1,64}.
	ID        string     `yaml:"id"`
	Providers []Provider `yaml:"providers"`
	RateLimit RateLimit  `yaml:"rate_limit"`
	// Notify is the tenant's reminder and escalation playbook (nil: the
	// notifier leaves the tenant alone).
	Notify *Notify `yaml:"notify"`
	// Export is where completed envelopes are exported (export.go); nil:
	// DefaultExportTarget, no purge.
	Export *Export `yaml:"export"`
}

// RateLimit is a token bucket: Rate callbacks per second, Burst at once.
// Defaults: 2000/s, burst 4000.
type RateLimit struct {
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

// Provider is one provider of a tenant. Which fields apply depends on Kind;
// a field that does not apply to the kind is a config error.
type Provider struct {
	Kind string `yaml:"kind"`
	// standardwebhooks: whsec_ secrets (several = rotation), tolerance.
	// hmac: literal or "base64:" secrets (several = rotation).
	Secrets   []Secret `yaml:"secrets"`
	Tolerance Duration `yaml:"tolerance"`
	// docusign: Connect HMAC keys (several = rotation).
	HMACKeys []Secret `yaml:"hmac_keys"`
	// dropboxsign: the API key (signs event_hash; also the API credential).
	APIKey Secret `yaml:"api_key"`
	// dropboxsign: API keys for rotation (see Provider.DropboxAPIKeys).
	APIKeys []Secret `yaml:"api_keys"`
	// adobesign: accepted client ids.
	ClientIDs []string `yaml:"client_ids"`
	// esignanywhere: the token in the callback URL's query.
	CallbackToken Secret `yaml:"callback_token"`
	// esignanywhere: callback tokens for rotation (see
	// Provider.ESignAnyWhereTokens).
	CallbackTokens []Secret `yaml:"callback_tokens"`
	// API, when set, lets countersign ask the provider for the truth
	// (confirmation, polling, downloads).
	API *API `yaml:"api"`
	// Reconcile tunes how the reconciler polls this provider's API. It
	// applies only with api: (defaulted whenever api: is set).
	Reconcile *Reconcile `yaml:"reconcile"`
	// hmac: a generic HMAC provider's name, signature scheme and event
	// pointers (hmac.go).
	HMAC `yaml:",inline"`
}

// Reconcile is a provider's polling schedule.
type Reconcile struct {
	// Interval is the time between polls when all is calm (default 5m).
	Interval Duration `yaml:"interval"`
	// IncidentInterval is the time between polls while callbacks go
	// silent, the DLQ grows or the API errs (default 1m).
	IncidentInterval Duration `yaml:"incident_interval"`
	// StaleAfter is how long an envelope may stay non-terminal before it
	// gets a status check every interval (default 24h).
	StaleAfter Duration `yaml:"stale_after"`
}

// API is how countersign reaches a provider's REST API.
type API struct {
	// BaseURL: provider paths (as in the docs) are appended to it.
	BaseURL string `yaml:"base_url"`
	// Token is the bearer token / apiToken (Dropbox Sign uses api_key).
	Token Secret `yaml:"token"`
	// AccountID is DocuSign's account id.
	AccountID string `yaml:"account_id"`
	// Rate is requests per second to this API (default 10), Burst at once.
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
	// Timeout bounds one request (default 10s).
	Timeout Duration `yaml:"timeout"`
}

// Secret is a resolved secret value. In YAML it is a literal, "env:NAME"
// or "file:PATH". String() never reveals it.
type Secret struct {
	value string
	// Ref is how the secret was written when it was a reference ("env:X").
	Ref string
}

// NewSecret returns a Secret holding v (for tests and programmatic config).
func NewSecret(v string) Secret { return Secret{value: v} }

// Value returns the secret itself.
func (s Secret) Value() string { return s.value }

// IsZero reports whether no secret was given.
func (s Secret) IsZero() bool { return s.value == "" && s.Ref == "" }

// String redacts: secrets never reach logs by formatting.
func (s Secret) String() string {
	if s.Ref != "" {
		return s.Ref
	}
	return "[redacted]"
}

// Duration is a time.Duration written as "5m", "24h" in YAML.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
