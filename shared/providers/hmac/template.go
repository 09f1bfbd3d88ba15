package hmac

import (
	"fmt"
	"net/http"
	"strings"
)

// A Template says which bytes are signed: literal text and placeholders,
// "{body}" (the raw body, exactly once), "{header:Name}" (a request
// header's value) and "{timestamp}" (the timestamp as found at
// timestamp.from), e.g. "{header:X-Timestamp}.{body}".
type Template struct {
	parts []part
}

type part struct {
	literal   string
	header    string // canonical header name
	body      bool
	timestamp bool
}

// ParseTemplate reads a signed-content template. It returns an error
// wrapping ErrBadTemplate for an unclosed or unknown placeholder, a stray
// "}", an empty header name, or a template without exactly one {body}: a
// signature that does not cover the body would let anyone change it.
func ParseTemplate(s string) (Template, error) {
	var t Template
	bodies := 0
	rest := s
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			t.parts = append(t.parts, part{literal: rest})
			break
		}
		if rest[open] == '}' {
			return Template{}, fmt.Errorf("%w: %q has a \"}\" that closes nothing", ErrBadTemplate, s)
		}
		if open > 0 {
			t.parts = append(t.parts, part{literal: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return Template{}, fmt.Errorf("%w: %q has an unclosed \"{\"", ErrBadTemplate, s)
		}
		name := rest[open+1 : open+end]
		switch {
		case name == "body":
			bodies++
			t.parts = append(t.parts, part{body: true})
		case name == "timestamp":
			t.parts = append(t.parts, part{timestamp: true})
		case strings.HasPrefix(name, "header:"):
			h := strings.TrimPrefix(name, "header:")
			if !validHeaderName(h) {
				return Template{}, fmt.Errorf("%w: %q: {header:NAME} needs a header name", ErrBadTemplate, s)
			}
			t.parts = append(t.parts, part{header: http.CanonicalHeaderKey(h)})
		default:
			return Template{}, fmt.Errorf("%w: %q: unknown placeholder {%s} (want {body}, {header:NAME} or {timestamp})", ErrBadTemplate, s, name)
		}
		rest = rest[open+end+1:]
	}
	if bodies != 1 {
		return Template{}, fmt.Errorf("%w: %q must contain {body} exactly once", ErrBadTemplate, s)
	}
	return t, nil
}

// Headers returns the headers the template reads, in order.
func (t Template) Headers() []string {
	var out []string
	for _, p := range t.parts {
		if p.header != "" {
			out = append(out, p.header)
		}
	}
	return out
}

// usesTimestamp reports whether the template has a {timestamp}.
func (t Template) usesTimestamp() bool {
	for _, p := range t.parts {
		if p.timestamp {
			return true
		}
	}
	return false
}

// content returns the signed bytes for a request with header h and body,
// ts standing for {timestamp}, and false when a header the template reads
// is missing.
func (t Template) content(h http.Header, body []byte, ts string) ([]byte, bool) {
	if len(t.parts) == 1 && t.parts[0].body {
		return body, true
	}
	var b []byte
	for _, p := range t.parts {
		switch {
		case p.body:
			b = append(b, body...)
		case p.timestamp:
			b = append(b, ts...)
		case p.header != "":
			v := h.Get(p.header)
			if v == "" {
				return nil, false
			}
			b = append(b, v...)
		default:
			b = append(b, p.literal...)
		}
	}
	return b, true
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}
