package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

// Action is a call countersign made to act at a provider (a reminder, a
// signer replaced), as the sandbox recorded it.
type Action struct {
	Provider   string
	EnvelopeID string
	// Kind is "remind" or "replace".
	Kind string
	// Fields are the call's parameters (email_address, signature_id, …).
	Fields map[string]string
}

// Actions returns the calls recorded so far, in order.
func (s *Sandbox) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actions)
}

// actionRoutes serves the calls that act on an envelope (PROVIDERS.md,
// "Acting at the provider"); each is recorded, none changes the script.
func (s *Sandbox) actionRoutes(mux *http.ServeMux) {
	mux.Handle("POST /v3/signature_request/remind/{id}", s.dropboxAuth(s.dropboxAct("remind", "email_address")))
	mux.Handle("POST /v3/signature_request/update/{id}", s.dropboxAuth(s.dropboxAct("replace", "signature_id", "email_address")))
}

// dropboxAct records a Dropbox Sign remind or update call: JSON or form
// body with the named fields, all required; the request must exist and
// not be finished.
func (s *Sandbox) dropboxAct(kind string, fields ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		v, ok := s.lookup(KindDropboxSign, id)
		if !ok {
			dropboxError(w, http.StatusNotFound, "not_found", "Not found")
			return
		}
		got := map[string]string{}
		if r.Header.Get("Content-Type") == "application/json" {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err := json.Unmarshal(b, &got); err != nil {
				dropboxError(w, http.StatusBadRequest, "bad_request", "Invalid JSON")
				return
			}
		} else if err := r.ParseForm(); err == nil {
			for _, f := range fields {
				got[f] = r.PostForm.Get(f)
			}
		}
		for _, f := range fields {
			if got[f] == "" {
				dropboxError(w, http.StatusBadRequest, "bad_request", "Missing parameter: "+f)
				return
			}
		}
		if v.state.Terminal() {
			dropboxError(w, http.StatusBadRequest, "signature_request_closed", "The signature request is complete")
			return
		}
		s.mu.Lock()
		s.actions = append(s.actions, Action{Provider: KindDropboxSign, EnvelopeID: id, Kind: kind, Fields: got})
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"signature_request": dropboxRequest(v)})
	}
}
