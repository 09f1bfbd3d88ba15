package envelope

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// SubjectPrefix is the first token of every envelope subject.
const SubjectPrefix = "envelope"

// tokenPrefix marks an encoded envelope id. It is legal in NATS subjects and
// KV keys and never occurs in a plain id, so the two forms cannot collide.
const tokenPrefix = "="

// tokenEncoding is strict so that every id has exactly one token.
var tokenEncoding = base64.RawURLEncoding.Strict()

// plainID reports whether id matches [A-Za-z0-9_-]{1,128} and may be used
// in a subject as it is.
func plainID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Token returns the subject token for a provider's envelope id: the id itself
// when it matches [A-Za-z0-9_-]{1,128}, else "=" followed by the id in
// unpadded base64url (RFC 4648 §5). ParseToken reverses it.
func Token(envelopeID string) string {
	if plainID(envelopeID) {
		return envelopeID
	}
	return tokenPrefix + tokenEncoding.EncodeToString([]byte(envelopeID))
}

// ParseToken returns the envelope id a subject token stands for. Only the
// token Token would produce is accepted (one token per id); anything else
// returns an error wrapping ErrInvalidToken.
func ParseToken(tok string) (string, error) {
	enc, encoded := strings.CutPrefix(tok, tokenPrefix)
	if !encoded {
		if !plainID(tok) {
			return "", fmt.Errorf("%w: %q", ErrInvalidToken, tok)
		}
		return tok, nil
	}
	id, err := tokenEncoding.DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %w", ErrInvalidToken, tok, err)
	}
	if plainID(string(id)) {
		return "", fmt.Errorf("%w: %q encodes a plain id", ErrInvalidToken, tok)
	}
	return string(id), nil
}

// ValidTenant reports whether id is a tenant id: [a-z0-9_-]{1,64}.
func ValidTenant(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Subject returns envelope.<tenant>.<Token(envelopeID)>.<t>, the subject a
// ledger entry is published on. The tenant must satisfy ValidTenant.
func Subject(tenant, envelopeID string, t Type) string {
	return SubjectPrefix + "." + tenant + "." + Token(envelopeID) + "." + string(t)
}

// SubjectFilter returns envelope.<tenant>.<Token(envelopeID)>.*, matching
// every ledger entry of one envelope.
func SubjectFilter(tenant, envelopeID string) string {
	return SubjectPrefix + "." + tenant + "." + Token(envelopeID) + ".*"
}

// RecordKey returns <tenant>.<Token(envelopeID)>, the JetStream KV key of an
// envelope's record.
func RecordKey(tenant, envelopeID string) string {
	return tenant + "." + Token(envelopeID)
}

// ParseSubject splits an envelope subject into tenant, envelope id and type.
// Errors wrap ErrInvalidSubject, or ErrInvalidToken for a bad envelope token.
func ParseSubject(subject string) (tenant, envelopeID string, t Type, err error) {
	parts := strings.Split(subject, ".")
	if len(parts) != 4 || parts[0] != SubjectPrefix {
		return "", "", "", fmt.Errorf("%w: %q", ErrInvalidSubject, subject)
	}
	if !ValidTenant(parts[1]) {
		return "", "", "", fmt.Errorf("%w: %q: bad tenant", ErrInvalidSubject, subject)
	}
	t = Type(parts[3])
	if !t.IsLedger() {
		return "", "", "", fmt.Errorf("%w: %q: unknown type", ErrInvalidSubject, subject)
	}
	envelopeID, err = ParseToken(parts[2])
	if err != nil {
		return "", "", "", fmt.Errorf("subject %q: %w", subject, err)
	}
	return parts[1], envelopeID, t, nil
}
