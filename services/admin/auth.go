package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// bearerAuth admits requests carrying "Authorization: Bearer <token>" for
// one of the configured tokens. Tokens are compared as SHA-256 digests
// with crypto/subtle, and against every token without stopping at a
// match, so neither a token's content nor its length leaks through timing.
type bearerAuth struct {
	digests [][sha256.Size]byte
}

func newBearerAuth(tokens []string) *bearerAuth {
	a := &bearerAuth{}
	for _, t := range tokens {
		if t != "" {
			a.digests = append(a.digests, sha256.Sum256([]byte(t)))
		}
	}
	return a
}

// allowed reports whether r carries a configured bearer token.
func (a *bearerAuth) allowed(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	// RFC 7235: the auth scheme is case-insensitive.
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for _, want := range a.digests {
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return match == 1
}

// wrap answers 401 with a JSON error and a WWW-Authenticate challenge
// unless the request is allowed.
func (a *bearerAuth) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.allowed(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="countersign-admin"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}
