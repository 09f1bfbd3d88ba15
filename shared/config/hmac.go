package config

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
