package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// APIHandler serves the subset of each provider's REST API that
// countersign confirms, polls and downloads from, answering from the
// truth as it stands (only steps that have happened; dropped callbacks
// included, since the provider knows):
//
//	DocuSign       GET  /restapi/v2.1/accounts/{a}/envelopes?from_date=…   (listStatusChanges)
//	               GET  /restapi/v2.1/accounts/{a}/envelopes/{id}[/documents/combined|certificate]
//	Dropbox Sign   GET  /v3/signature_request/{id}, /v3/signature_request/list?page&page_size
//	Adobe Sign     GET  /api/rest/v6/agreements/{id}
//	eSignAnyWhere  GET  /v6/envelope/{id}, /v6/envelope/{id}/files, /v6/file/{fileId};
//	               POST /v6/envelope/delete
//	documents and purges: see documentRoutes
//
// Authentication is each provider's: bearer token (DocuSign, Adobe Sign),
// basic auth with the API key as user (Dropbox Sign), apiToken header
// (eSignAnyWhere). APIConfig.Rate429Pct and Rate5xxPct answer that share
// of requests 429 or 503 with Retry-After.
func (s *Sandbox) APIHandler() http.Handler {
	mux := http.NewServeMux()
	ds := "/restapi/v2.1/accounts/{account}/envelopes"
	mux.Handle("GET "+ds, s.docuSignAuth(s.docuSignList))
	mux.Handle("GET "+ds+"/{id}", s.docuSignAuth(s.docuSignEnvelope))
	mux.Handle("GET "+ds+"/{id}/documents/{doc}", s.docuSignAuth(s.docuSignDocument))
	mux.Handle("GET /v3/signature_request/list", s.dropboxAuth(s.dropboxList))
	mux.Handle("GET /v3/signature_request/{id}", s.dropboxAuth(s.dropboxRequest))
	mux.Handle("GET /api/rest/v6/agreements/{id}", s.bearer(s.cfg.API.AdobeToken, s.adobeAgreement))
	mux.Handle("GET /v6/envelope/{id}", s.esawAuth(s.esawEnvelope))
	mux.Handle("GET /v6/envelope/{id}/files", s.esawAuth(s.esawFiles))
	mux.Handle("GET /v6/file/{fileId}", s.esawAuth(s.esawFile))
	mux.Handle("POST /v6/envelope/delete", s.esawAuth(s.esawDelete))
	s.documentRoutes(mux)
	s.actionRoutes(mux)
	return s.faults(mux)
}

// faults answers a configured share of requests 429 or 503.
func (s *Sandbox) faults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		p := s.apiRng.Float64()
		s.mu.Unlock()
		switch {
		case p < s.cfg.API.Rate429Pct:
			w.Header().Set("Retry-After", fmt.Sprint(defaultRetryAfterSec))
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"errorCode": "HOURLY_APIINVOCATION_LIMIT_EXCEEDED", "message": "rate limited"})
		case p < s.cfg.API.Rate429Pct+s.cfg.API.Rate5xxPct:
			w.Header().Set("Retry-After", fmt.Sprint(defaultRetryAfterSec))
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "service unavailable"})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// bearer checks "Authorization: Bearer <token>" when token is set.
func (s *Sandbox) bearer(token string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"code": "INVALID_ACCESS_TOKEN", "message": "bad or missing bearer token"})
			return
		}
		h(w, r)
	})
}

// view is a consistent snapshot of one envelope at its provider.
type view struct {
	env      *Envelope
	state    envelope.State
	rs       []ExpectedRecipient
	happened int
	last     time.Time
}

// at returns the time of the first happened step of type t (zero if none).
func (v view) at(t envelope.Type) time.Time {
	for _, st := range v.env.Script[:v.happened] {
		if st.Type == t {
			return st.At
		}
	}
	return time.Time{}
}

// lookup returns kind's envelope id as its provider shows it: unknown,
// not yet sent and deleted envelopes are not found.
func (s *Sandbox) lookup(kind, id string) (view, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.byID[kind][id]
	if t == nil || t.happened == 0 || t.deleted {
		return view{}, false
	}
	return t.view(), true
}

// list returns kind's visible envelopes in registration order.
func (s *Sandbox) list(kind string) []view {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []view
	for _, t := range s.order {
		if t.env.Provider == kind && t.happened > 0 && !t.deleted {
			out = append(out, t.view())
		}
	}
	return out
}

// view snapshots t; the caller holds the lock.
func (t *tracked) view() view {
	state, rs := t.env.Fold(t.happened)
	return view{env: t.env, state: state, rs: rs, happened: t.happened, last: t.lastChange()}
}

// adobeStatus maps a state to Adobe Sign's agreement status. Adobe's v6
// API says CANCELLED for a recall; the sandbox reports a participant's
// rejection as ABORTED so that the two stay apart.
func adobeStatus(s envelope.State) string {
	switch s {
	case envelope.StateCompleted:
		return "SIGNED"
	case envelope.StateDeclined:
		return "ABORTED"
	case envelope.StateVoided:
		return "CANCELLED"
	case envelope.StateExpired:
		return "EXPIRED"
	default:
		return "OUT_FOR_SIGNATURE"
	}
}

func (s *Sandbox) adobeAgreement(w http.ResponseWriter, r *http.Request) {
	v, ok := s.lookup(KindAdobeSign, r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "INVALID_AGREEMENT_ID", "message": "The Agreement ID specified is invalid."})
		return
	}
	type member struct {
		Email string `json:"email"`
	}
	type set struct {
		MemberInfos []member `json:"memberInfos"`
		Order       int      `json:"order"`
		Role        string   `json:"role"`
		Status      string   `json:"status"`
	}
	sets := make([]set, len(v.rs))
	for i, rr := range v.rs {
		st := "WAITING_FOR_OTHERS"
		switch rr.State {
		case envelope.RecipientSigned:
			st = "COMPLETED"
		case envelope.RecipientDeclined:
			st = "REJECTED"
		}
		sets[i] = set{MemberInfos: []member{{Email: rr.Email}}, Order: i + 1, Role: "SIGNER", Status: st}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": v.env.ID, "name": "Sandbox agreement", "status": adobeStatus(v.state),
		"createdDate": v.at(envelope.TypeSent).UTC().Format(time.RFC3339), "participantSetsInfo": sets,
	})
}

// fakePDF is a document's stand-in: small, recognisable, deterministic.
func fakePDF(kind, id, what string) []byte {
	return fmt.Appendf(nil, "%%PDF-1.4\n%% countersign sandbox %s %s %s\n%%%%EOF\n", kind, id, what)
}

func writePDF(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// nextUri carries '&': keep it readable, as the providers do.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// hasHeader reports whether r carries want under header name (always
// true when want is empty).
func hasHeader(r *http.Request, name, want string) bool {
	return want == "" || strings.TrimSpace(r.Header.Get(name)) == want
}
