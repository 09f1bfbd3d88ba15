package access

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/countersign/countersign/shared/httpjson"
)

// Holder holds the current token Set. A config reload stores a new Set;
// requests in flight keep the one they started with, so none is refused
// during the swap.
type Holder struct {
	set atomic.Pointer[Set]
}

// NewHolder returns a Holder of s.
func NewHolder(s *Set) *Holder {
	h := &Holder{}
	h.set.Store(s)
	return h
}

// Load returns the current Set.
func (h *Holder) Load() *Set { return h.set.Load() }

// Store makes s the current Set.
func (h *Holder) Store(s *Set) { h.set.Store(s) }

// Guard authenticates every request to next, which serves the routes
// registered on mux: 401 without a known token; 403 for a read token on
// any method but GET and HEAD, and for a route whose pattern has a
// {tenant} segment naming a tenant outside the token's. The principal is
// in the request's context for handlers (Allow, FromContext). Enforcing
// the {tenant} segment here, from the route pattern, means a route added
// later by another package is scoped without remembering to be.
func Guard(h *Holder, mux *http.ServeMux, next http.Handler) http.Handler {
	return GuardWith(h, mux, next, nil)
}

// GuardWith is Guard telling denied, when not nil, of every request it
// refuses with 403 — a known token outside its role or tenants — so that
// the attempt reaches the audit trail. 401s are not reported: anyone can
// send those.
func GuardWith(h *Holder, mux *http.ServeMux, next http.Handler, denied func(r *http.Request, p Principal, reason string)) http.Handler {
	forbid := func(w http.ResponseWriter, r *http.Request, p Principal, reason string) {
		Forbid(w, reason)
		if denied != nil {
			denied(r, p, reason)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.Load().Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="countersign-admin"`)
			httpjson.Error(w, http.StatusUnauthorized, "missing or invalid bearer token")
			return
		}
		_, pattern := mux.Handler(r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !p.CanOperate() {
			r.Pattern = pattern // for the caller's per-route metrics and audit
			forbid(w, r, p, "token "+p.Name+" has role read: "+r.Method+" needs role operate")
			return
		}
		if pattern != "" {
			if tenant, ok := pathTenant(pattern, r.URL); ok && !p.CanTenant(tenant) {
				r.Pattern = pattern
				forbid(w, r, p, "token "+p.Name+" may not access tenant "+tenant)
				return
			}
		}
		inner := r.WithContext(WithPrincipal(r.Context(), p))
		next.ServeHTTP(w, inner)
		// ServeMux records the matched pattern on the request it serves,
		// which is the copy; hand it back to the middleware around Guard
		// (per-route metrics).
		r.Pattern = inner.Pattern
	})
}

// pathTenant returns the value of the {tenant} segment of pattern ("GET
// /v1/tenants/{tenant}/…") in u, decoded as ServeMux decodes it.
func pathTenant(pattern string, u *url.URL) (string, bool) {
	// Drop the method and host: "GET host/path" → "/path".
	if _, rest, ok := strings.Cut(pattern, " "); ok {
		pattern = rest
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	psegs := strings.Split(pattern, "/")
	idx := -1
	for i, s := range psegs {
		if s == "{tenant}" || s == "{tenant...}" {
			idx = i
			break
		}
	}
	if idx < 0 {
		return "", false
	}
	usegs := strings.Split(u.EscapedPath(), "/")
	if idx >= len(usegs) {
		return "", false
	}
	v, err := url.PathUnescape(usegs[idx])
	if err != nil {
		// ServeMux would not have matched it; refuse rather than guess.
		return usegs[idx], true
	}
	return v, true
}
