package envelope

import (
	"errors"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	long := strings.Repeat("a", 128)
	tests := []struct {
		id, want string
	}{
		{"abc-DEF_123", "abc-DEF_123"},
		{long, long},
		{long + "a", "=" + tokenEncoding.EncodeToString([]byte(long+"a"))},
		{"", "="},
		{"a.b", "=YS5i"},
		{"a*b>", "=YSpiPg"},
		{"ünïcode", "=w7xuw69jb2Rl"},
		{"{9b8c-uuid}", "=ezliOGMtdXVpZH0"},
	}
	for _, tc := range tests {
		got := Token(tc.id)
		if got != tc.want {
			t.Errorf("Token(%q) = %q, want %q", tc.id, got, tc.want)
		}
		if strings.ContainsAny(got, ".*> \t") {
			t.Errorf("Token(%q) = %q is not a single subject token", tc.id, got)
		}
		back, err := ParseToken(got)
		if err != nil || back != tc.id {
			t.Errorf("ParseToken(%q) = %q, %v; want %q", got, back, err, tc.id)
		}
	}
}

func TestParseTokenRejects(t *testing.T) {
	for _, tok := range []string{
		"",       // empty is not a plain id; the empty id is "="
		"a.b",    // not plain and not encoded
		"=YWJj",  // encodes "abc", whose token is "abc"
		"=!!",    // not base64url
		"=YS5i=", // padded
		"=YS5",   // non-canonical trailing bits ("a." is "=YS4")
		"==YS5i", // double prefix
		strings.Repeat("a", 129),
	} {
		if id, err := ParseToken(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("ParseToken(%q) = %q, %v; want ErrInvalidToken", tok, id, err)
		}
	}
}

func TestSubjects(t *testing.T) {
	tests := []struct {
		tenant, id string
		typ        Type
		subject    string
		filter     string
		key        string
	}{
		{"acme", "env-1", TypeCompleted, "envelope.acme.env-1.completed", "envelope.acme.env-1.*", "acme.env-1"},
		{"t_2", "a.b", TypeRecipientSigned, "envelope.t_2.=YS5i.recipient_signed", "envelope.t_2.=YS5i.*", "t_2.=YS5i"},
		{"acme", "x", TypeStale, "envelope.acme.x.stale", "envelope.acme.x.*", "acme.x"},
	}
	for _, tc := range tests {
		if got := Subject(tc.tenant, tc.id, tc.typ); got != tc.subject {
			t.Errorf("Subject = %q, want %q", got, tc.subject)
		}
		if got := SubjectFilter(tc.tenant, tc.id); got != tc.filter {
			t.Errorf("SubjectFilter = %q, want %q", got, tc.filter)
		}
		if got := RecordKey(tc.tenant, tc.id); got != tc.key {
			t.Errorf("RecordKey = %q, want %q", got, tc.key)
		}
		tenant, id, typ, err := ParseSubject(tc.subject)
		if err != nil || tenant != tc.tenant || id != tc.id || typ != tc.typ {
			t.Errorf("ParseSubject(%q) = %q, %q, %q, %v", tc.subject, tenant, id, typ, err)
		}
	}
}

func TestParseSubjectRejects(t *testing.T) {
	tests := []struct {
		subject string
		want    error
	}{
		{"envelope.acme.x", ErrInvalidSubject},
		{"envelope.acme.x.completed.more", ErrInvalidSubject},
		{"other.acme.x.completed", ErrInvalidSubject},
		{"envelope.ACME.x.completed", ErrInvalidSubject},
		{"envelope.acme.x.finished", ErrInvalidSubject},
		{"envelope.acme.=YWJj.completed", ErrInvalidToken},
	}
	for _, tc := range tests {
		if _, _, _, err := ParseSubject(tc.subject); !errors.Is(err, tc.want) {
			t.Errorf("ParseSubject(%q) error = %v, want %v", tc.subject, err, tc.want)
		}
	}
}

func TestValidTenant(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"acme", true},
		{"a_b-9", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"Acme", false},
		{"a.b", false},
		{"a*", false},
		{"a b", false},
	}
	for _, tc := range tests {
		if got := ValidTenant(tc.id); got != tc.want {
			t.Errorf("ValidTenant(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

// FuzzToken checks that every id round-trips through its token, that a token
// is one subject token, and that ParseToken accepts only canonical tokens.
func FuzzToken(f *testing.F) {
	for _, s := range []string{"", "abc", "a.b", "=", "=YS5i", "=YWJj", "ü", strings.Repeat("z", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := Token(s)
		if strings.ContainsAny(tok, ".*> \t\r\n") {
			t.Fatalf("Token(%q) = %q is not a single subject token", s, tok)
		}
		back, err := ParseToken(tok)
		if err != nil || back != s {
			t.Fatalf("ParseToken(Token(%q)) = %q, %v", s, back, err)
		}
		// Read s as a token: if accepted, it must be the id's only token.
		if id, err := ParseToken(s); err == nil && Token(id) != s {
			t.Fatalf("ParseToken(%q) = %q, whose token is %q", s, id, Token(id))
		}
	})
}
