package hmac

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Pointer is a parsed RFC 6901 JSON pointer: the reference tokens with
// "~1" and "~0" already unescaped. The empty pointer ("") is the whole
// document.
type Pointer struct {
	text   string
	tokens []string
}

// ParsePointer parses s as an RFC 6901 JSON pointer. It returns an error
// wrapping ErrBadPointer when s is neither empty nor starts with "/", or
// holds a "~" not followed by "0" or "1".
func ParsePointer(s string) (Pointer, error) {
	if s == "" {
		return Pointer{}, nil
	}
	if s[0] != '/' {
		return Pointer{}, fmt.Errorf("%w: %q does not start with \"/\"", ErrBadPointer, s)
	}
	raw := strings.Split(s[1:], "/")
	tokens := make([]string, len(raw))
	for i, tok := range raw {
		for j := 0; j < len(tok); j++ {
			if tok[j] == '~' && (j+1 == len(tok) || (tok[j+1] != '0' && tok[j+1] != '1')) {
				return Pointer{}, fmt.Errorf("%w: %q has \"~\" not followed by 0 or 1", ErrBadPointer, s)
			}
		}
		// The order matters (RFC 6901 §4): "~01" is "~1" literally, not "/".
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
	}
	return Pointer{text: s, tokens: tokens}, nil
}

// String returns the pointer as written.
func (p Pointer) String() string { return p.text }

// IsZero reports whether p is the empty pointer (the whole document).
func (p Pointer) IsZero() bool { return len(p.tokens) == 0 }

// Resolve returns the value p refers to in doc, a value decoded by
// encoding/json into any (objects map[string]any, arrays []any). ok is
// false when the path does not exist: a missing member, an array index
// that is not a decimal without leading zeros, out of range or "-", or a
// token applied to a scalar.
func (p Pointer) Resolve(doc any) (v any, ok bool) {
	v = doc
	for _, tok := range p.tokens {
		switch node := v.(type) {
		case map[string]any:
			if v, ok = node[tok]; !ok {
				return nil, false
			}
		case []any:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// arrayIndex reads an RFC 6901 array index: "0" or a decimal without a
// leading zero. "-" (the element after the last) never exists when reading.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 1 && tok[0] == '0' {
		return 0, false
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(tok)
	return i, err == nil
}

// scalarText returns a string or number value as text, and false for
// anything else (null, booleans, objects, arrays): ids and types are
// written as either by senders, never as structures.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	default:
		return "", false
	}
}
