package hmac

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// Defaults for what a Spec leaves empty.
const (
	DefaultAlgorithm = "sha256"
	DefaultEncoding  = "hex"
	DefaultSigned    = "{body}"
	DefaultPath      = "/"
	DefaultTolerance = 5 * time.Minute
)

// base64Prefix marks a secret given as base64 rather than literal bytes.
const base64Prefix = "base64:"

// Spec describes one generic HMAC provider, as the config file's
// `kind: hmac` entry does (CONTRACT.md "Generic HMAC providers"). It holds
// resolved secrets; field names follow the file.
type Spec struct {
	// Name is the URL path segment and the provider of its events.
	Name string
	// Secrets are literal bytes, or "base64:" and standard base64.
	Secrets   []string
	Signature SignatureSpec
	// Signed is the signed-content template (default "{body}").
	Signed string
	// Timestamp, when set, is checked against the receiver's clock.
	Timestamp *TimestampSpec
	Events    EventsSpec
	// Types maps "type" or "type:status" to canonical event types.
	Types map[string]string
}

// SignatureSpec says where the signature is and how it is written.
type SignatureSpec struct {
	// From is "header:NAME" or "query:NAME".
	From string
	// Encoding is hex (default) or base64.
	Encoding string
	// Prefix, when set, must precede the encoded signature ("sha256=").
	Prefix string
	// Algorithm is sha256 (default), sha1 or sha512.
	Algorithm string
	// Param, when set, reads the value at From as comma-separated
	// key=value pairs ("t=1700000000, s0=ab12…") and takes the signature
	// from every pair with this key (README's addition to CONTRACT.md).
	Param string
}

// TimestampSpec says where the sender's timestamp is and how far it may be
// from the receiver's clock.
type TimestampSpec struct {
	From      string
	Tolerance time.Duration
	// Param, when set, takes the timestamp from the key=value pair with
	// this key at From, as SignatureSpec.Param does.
	Param string
}

// EventsSpec holds the JSON pointers (RFC 6901) that find events in a body.
type EventsSpec struct {
	// Path is where the event objects are: an array (several events) or
	// one object. "/" (the default) and "" are the body itself.
	Path           string
	Type           string
	EnvelopeID     string
	OccurredAt     string
	Status         string // optional
	RecipientEmail string // optional
	DeliveryID     string // optional
}

// name is the shape of a provider name: it is a URL path segment and part
// of NATS subjects, like a tenant id.
var name = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// algorithms are the hash functions a signature may use.
var algorithms = map[string]func() hash.Hash{
	"sha256": sha256.New,
	"sha1":   sha1.New,
	"sha512": sha512.New,
}

// mappable lists the canonical types a webhook may be mapped to: every
// event type but corrected, which only the provider's API can assert.
func mappable() []string {
	var out []string
	for _, t := range envelope.EventTypes {
		if t != envelope.TypeCorrected {
			out = append(out, string(t))
		}
	}
	return out
}

// location is where a value travels: a header or a query parameter, and
// optionally one key of the key=value pairs found there.
type location struct {
	query bool
	name  string
	param string
}

func parseLocation(s string) (location, error) {
	kind, n, ok := strings.Cut(s, ":")
	switch {
	case !ok || n == "":
		return location{}, fmt.Errorf("%q: want header:NAME or query:NAME", s)
	case kind == "header":
		if !validHeaderName(n) {
			return location{}, fmt.Errorf("%q: %q is not a header name", s, n)
		}
		return location{name: http.CanonicalHeaderKey(n)}, nil
	case kind == "query":
		return location{query: true, name: n}, nil
	default:
		return location{}, fmt.Errorf("%q: want header:NAME or query:NAME", s)
	}
}

func (l location) values(req *providers.Request) []string {
	vs := req.Header.Values(l.name)
	if l.query {
		vs = req.Query[l.name]
	}
	if l.param == "" {
		return vs
	}
	var out []string
	for _, v := range vs {
		for _, pair := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(strings.TrimSpace(pair), "="); ok && k == l.param {
				out = append(out, val)
			}
		}
	}
	return out
}

// validParam reports whether s can be a key of key=value pairs.
func validParam(s string) bool {
	return s != "" && !strings.ContainsAny(s, "=, \t")
}

// compiled is a checked Spec, ready to authenticate and parse.
type compiled struct {
	name                                                   string
	keys                                                   [][]byte
	sig                                                    location
	decode                                                 func(string) ([]byte, error)
	prefix                                                 string
	newHash                                                func() hash.Hash
	signed                                                 Template
	ts                                                     *location
	tolerance                                              time.Duration
	path                                                   Pointer
	typ, envelopeID, occurredAt, status, email, deliveryID Pointer
	types                                                  map[string]envelope.Type
}

// Check returns every problem with s, each naming its field; none means
// New will accept s.
func (s Spec) Check() []*Problem {
	_, problems := compile(s)
	return problems
}

func compile(s Spec) (*compiled, []*Problem) {
	var ps []*Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, &Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	c := &compiled{name: s.Name}

	switch {
	case s.Name == "":
		add("name", "required for kind %s (it is the URL path segment)", providers.KindHMAC)
	case !name.MatchString(s.Name):
		add("name", "invalid name %q (want 1 to 64 of a-z 0-9 _ -)", s.Name)
	case slices.Contains(providers.Kinds, s.Name):
		add("name", "%q is a provider kind; pick another name so URLs stay unambiguous", s.Name)
	}

	if len(s.Secrets) == 0 {
		add("secrets", "at least one secret is required for kind %s", providers.KindHMAC)
	}
	for i, sec := range s.Secrets {
		key, err := DecodeSecret(sec)
		if err != nil {
			add(fmt.Sprintf("secrets[%d]", i), "%v", err)
			continue
		}
		c.keys = append(c.keys, key)
	}

	sig := s.Signature
	if sig.From == "" {
		add("signature.from", "required (header:NAME or query:NAME)")
	} else if l, err := parseLocation(sig.From); err != nil {
		add("signature.from", "%v", err)
	} else {
		c.sig = l
	}
	if sig.Param != "" {
		if validParam(sig.Param) {
			c.sig.param = sig.Param
		} else {
			add("signature.param", "%q cannot be a key of key=value pairs", sig.Param)
		}
	}
	switch cmpOr(sig.Encoding, DefaultEncoding) {
	case "hex":
		c.decode = decodeHex
	case "base64":
		c.decode = decodeBase64
	default:
		add("signature.encoding", "unknown encoding %q (want hex or base64)", sig.Encoding)
	}
	c.prefix = sig.Prefix
	if h, ok := algorithms[cmpOr(sig.Algorithm, DefaultAlgorithm)]; ok {
		c.newHash = h
	} else {
		add("signature.algorithm", "unknown algorithm %q (want sha256, sha1 or sha512)", sig.Algorithm)
	}

	if t, err := ParseTemplate(cmpOr(s.Signed, DefaultSigned)); err != nil {
		add("signed", "%v", err)
	} else {
		c.signed = t
		if t.usesTimestamp() && s.Timestamp == nil {
			add("signed", "{timestamp} needs timestamp.from: the sender's timestamp must be found and checked")
		}
	}

	if ts := s.Timestamp; ts != nil {
		if ts.From == "" {
			add("timestamp.from", "required when timestamp is set (header:NAME or query:NAME)")
		} else if l, err := parseLocation(ts.From); err != nil {
			add("timestamp.from", "%v", err)
		} else {
			c.ts = &l
		}
		if ts.Param != "" {
			if !validParam(ts.Param) {
				add("timestamp.param", "%q cannot be a key of key=value pairs", ts.Param)
			} else if c.ts != nil {
				c.ts.param = ts.Param
			}
		}
		switch {
		case ts.Tolerance < 0:
			add("timestamp.tolerance", "must not be negative")
		case ts.Tolerance == 0:
			c.tolerance = DefaultTolerance
		default:
			c.tolerance = ts.Tolerance
		}
	}

	ev := s.Events
	pointer := func(field, text string, required bool) Pointer {
		if text == "" {
			if required {
				add("events."+field, "required (a JSON pointer such as /data/id)")
			}
			return Pointer{}
		}
		p, err := ParsePointer(text)
		if err != nil {
			add("events."+field, "%v", err)
		}
		return p
	}
	if path := cmpOr(ev.Path, DefaultPath); path != "/" {
		c.path = pointer("path", path, false)
	}
	c.typ = pointer("type", ev.Type, true)
	c.envelopeID = pointer("envelope_id", ev.EnvelopeID, true)
	c.occurredAt = pointer("occurred_at", ev.OccurredAt, true)
	c.status = pointer("status", ev.Status, false)
	c.email = pointer("recipient_email", ev.RecipientEmail, false)
	c.deliveryID = pointer("delivery_id", ev.DeliveryID, false)
	if len(s.Types) == 0 {
		add("types", "map at least one event type to a canonical type (%s)", strings.Join(mappable(), ", "))
	}
	c.types = make(map[string]envelope.Type, len(s.Types))
	keys := make([]string, 0, len(s.Types))
	for k := range s.Types {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := s.Types[k]
		switch {
		case k == "":
			add("types", "empty event type")
		case !slices.Contains(mappable(), v):
			add("types."+k, "unknown canonical type %q (want one of %s)", v, strings.Join(mappable(), ", "))
		default:
			c.types[k] = envelope.Type(v)
		}
	}
	return c, ps
}

// DecodeSecret returns the key bytes of a configured secret: literal bytes,
// or standard base64 (padded or not) after "base64:". It returns an error
// (never containing the secret) for an empty secret or bad base64.
func DecodeSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, base64Prefix)
	if !ok {
		if s == "" {
			return nil, errors.New("empty secret")
		}
		return []byte(s), nil
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil {
		return nil, fmt.Errorf("not standard base64 after %q", base64Prefix)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("empty key after %q", base64Prefix)
	}
	return key, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
