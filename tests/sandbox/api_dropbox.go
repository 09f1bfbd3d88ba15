package sandbox

import (
	"net/http"
	"strconv"

	"github.com/countersign/countersign/shared/envelope"
)

const (
	dropboxDefaultPageSize = 20
	dropboxMaxPageSize     = 100
)

// dropboxAuth checks basic auth with the API key as user name.
func (s *Sandbox) dropboxAuth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _, ok := r.BasicAuth()
		if key := s.cfg.Secrets.DropboxAPIKey; key != "" && (!ok || user != key) {
			dropboxError(w, http.StatusUnauthorized, "unauthorized", "Unauthorized api key")
			return
		}
		h(w, r)
	})
}

func dropboxError(w http.ResponseWriter, status int, name, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"error_msg": msg, "error_name": name}})
}

// dropboxRequest is a signature request as Dropbox Sign returns it.
func dropboxRequest(v view) map[string]any {
	sigs := make([]map[string]any, len(v.rs))
	for i, rr := range v.rs {
		sig := map[string]any{
			"signature_id": rr.ID, "signer_email_address": rr.Email,
			"status_code": dropboxStatusCode(rr.State), "signed_at": nil, "last_viewed_at": nil,
		}
		// Dropbox Sign reports when a signer last viewed the request.
		for _, st := range v.env.Script[:v.happened] {
			if st.Type == envelope.TypeDelivered && st.Recipient == i {
				sig["last_viewed_at"] = st.At.Unix()
			}
		}
		if rr.State == envelope.RecipientSigned {
			for _, st := range v.env.Script[:v.happened] {
				if st.Type == envelope.TypeRecipientSigned && st.Recipient == i {
					sig["signed_at"] = st.At.Unix()
				}
			}
		}
		sigs[i] = sig
	}
	var expires any
	if at := v.at(envelope.TypeExpired); !at.IsZero() {
		expires = at.Unix()
	}
	return map[string]any{
		"signature_request_id": v.env.ID,
		"title":                "Sandbox agreement",
		"created_at":           v.at(envelope.TypeSent).Unix(),
		"expires_at":           expires,
		"is_complete":          v.state == envelope.StateCompleted,
		"is_declined":          v.state == envelope.StateDeclined,
		"has_error":            false,
		"signatures":           sigs,
	}
}

// dropboxRequest answers one signature request. A canceled request is
// gone at Dropbox Sign: 410 with error_name "deleted".
func (s *Sandbox) dropboxRequest(w http.ResponseWriter, r *http.Request) {
	v, ok := s.lookup(KindDropboxSign, r.PathValue("id"))
	switch {
	case !ok:
		dropboxError(w, http.StatusNotFound, "not_found", "Not found")
	case v.state == envelope.StateVoided:
		dropboxError(w, http.StatusGone, "deleted", "This resource has been deleted")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"signature_request": dropboxRequest(v)})
	}
}

// dropboxList pages through signature requests (canceled ones left out).
func (s *Sandbox) dropboxList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	size, err := strconv.Atoi(q.Get("page_size"))
	if err != nil || size < 1 {
		size = dropboxDefaultPageSize
	}
	if size > dropboxMaxPageSize {
		dropboxError(w, http.StatusBadRequest, "bad_request", "page_size must be at most 100")
		return
	}
	var all []view
	for _, v := range s.list(KindDropboxSign) {
		if v.state != envelope.StateVoided {
			all = append(all, v)
		}
	}
	from := min((page-1)*size, len(all))
	to := min(from+size, len(all))
	reqs := make([]map[string]any, 0, to-from)
	for _, v := range all[from:to] {
		reqs = append(reqs, dropboxRequest(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"list_info": map[string]int{
			"num_pages": max(1, (len(all)+size-1)/size), "num_results": len(all),
			"page": page, "page_size": size,
		},
		"signature_requests": reqs,
	})
}
