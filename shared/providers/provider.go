// Package providers defines the contract every e-signature provider adapter
// meets: authenticate a callback, answer it the way the provider expects,
// and parse it into canonical envelope events. Adapters live in one
// sub-package per provider and are pure: no sockets, no clocks they do not
// receive.
package providers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// Provider kinds, as written in the config file's "kind" field.
const (
	KindStandardWebhooks = "standardwebhooks"
	KindDocuSign         = "docusign"
	KindDropboxSign      = "dropboxsign"
	KindAdobeSign        = "adobesign"
	KindESignAnyWhere    = "esignanywhere"
	// KindHMAC is a generic HMAC provider described by config alone; each
	// has its own name (several may live under one tenant).
	KindHMAC = "hmac"
)

// Kinds lists every provider kind countersign knows.
var Kinds = []string{KindStandardWebhooks, KindDocuSign, KindDropboxSign, KindAdobeSign, KindESignAnyWhere, KindHMAC}

// Request is a callback as received (and as stored in the RAW stream): what
// an adapter authenticates and parses. Header keys are canonical
// (textproto) form.
type Request struct {
	Method     string
	Header     http.Header
	Query      url.Values
	Body       []byte
	ReceivedAt time.Time
}

// Response is what ingress answers to an authenticated, persisted callback.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Adapter is one configured provider of one tenant.
type Adapter interface {
	// Kind returns the provider's name under its tenant: the URL path
	// segment and the provider of its events and ledger entries. That is
	// its kind (one of Kinds), except for kind hmac, whose name is
	// configured.
	Kind() string
	// Authenticate checks that req comes from the provider. It returns an
	// error wrapping ErrUnauthenticated when it does not; now is the
	// receiver's clock (for timestamp tolerance).
	Authenticate(req *Request, now time.Time) error
	// DeliveryID returns the provider's id of this delivery, or "" when the
	// provider gives none (ingress then derives one from the body).
	DeliveryID(req *Request) string
	// Respond returns the provider-specific success answer for req.
	Respond(req *Request) Response
	// Parse turns an authenticated request into canonical events for
	// tenant. An authenticated callback of a type countersign does not map
	// returns no events and a nil error (it is counted and ignored).
	// Malformed content returns an error wrapping ErrMalformed.
	Parse(tenant string, req *Request) ([]envelope.Event, error)
	// Redact returns req's query without secrets (callback tokens), for
	// storage.
	Redact(q url.Values) url.Values
}

// Intent is implemented by adapters that answer a GET "verification of
// intent" (Adobe Sign) without storing anything.
type Intent interface {
	// IsIntentCheck reports whether req is a verification-of-intent request.
	IsIntentCheck(req *Request) bool
}
