package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/countersign/countersign/shared/envelope"
)

// documentRoutes adds the document downloads and purge calls the DMS
// export uses (PROVIDERS.md, "Acting at the provider") that the status
// routes do not already cover:
//
//	DocuSign       PUT    …/envelopes/{id} {"purgeState":"documents_queued"}
//	Dropbox Sign   GET    /v3/signature_request/files/{id}?file_type=pdf
//	Adobe Sign     GET    /api/rest/v6/agreements/{id}/combinedDocument, /auditTrail
//	               DELETE /api/rest/v6/agreements/{id}/documents
//
// After a purge the envelope's documents answer 404 everywhere.
func (s *Sandbox) documentRoutes(mux *http.ServeMux) {
	ds := "/restapi/v2.1/accounts/{account}/envelopes"
	mux.Handle("PUT "+ds+"/{id}", s.docuSignAuth(s.docuSignPurge))
	mux.Handle("GET /v3/signature_request/files/{id}", s.dropboxAuth(s.dropboxFiles))
	adobe := "/api/rest/v6/agreements/{id}"
	mux.Handle("GET "+adobe+"/combinedDocument", s.bearer(s.cfg.API.AdobeToken, s.adobeDocument("combinedDocument")))
	mux.Handle("GET "+adobe+"/auditTrail", s.bearer(s.cfg.API.AdobeToken, s.adobeDocument("auditTrail")))
	mux.Handle("DELETE "+adobe+"/documents", s.bearer(s.cfg.API.AdobeToken, s.adobePurge))
}

// Document returns what the sandbox serves as document what of envelope
// id at provider kind, and its length: deterministic, so tests can check
// an export byte for byte; streamed, so a 200 MB document costs nothing.
func (s *Sandbox) Document(kind, id, what string) (io.Reader, int64) {
	head := fakePDF(kind, id, what)
	n := s.cfg.API.DocumentBytes
	if n <= int64(len(head)) {
		return bytesReader(head), int64(len(head))
	}
	return io.MultiReader(bytesReader(head), &padding{left: n - int64(len(head)), seed: byte(len(id) + len(what))}), n
}

// Purges returns how many purge calls kind's envelope id received.
func (s *Sandbox) Purges(kind, id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.byID[kind][id]; t != nil {
		return t.purges
	}
	return 0
}

// writeDocument serves a document, or 404 once the envelope was purged.
func (s *Sandbox) writeDocument(w http.ResponseWriter, kind, id, what string) {
	s.mu.Lock()
	t := s.byID[kind][id]
	purged := t != nil && t.purged
	s.mu.Unlock()
	if purged {
		writeJSON(w, http.StatusNotFound, map[string]string{"errorCode": "DOCUMENTS_PURGED", "message": "documents were purged"})
		return
	}
	r, n := s.Document(kind, id, what)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, r)
}

// purge records a purge call on kind's envelope id; found reports
// whether the envelope exists at the provider.
func (s *Sandbox) purge(kind, id string) (found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.byID[kind][id]
	if t == nil || t.happened == 0 || t.deleted {
		return false
	}
	t.purges++
	t.purged = true
	return true
}

func (s *Sandbox) docuSignPurge(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PurgeState string `json:"purgeState"`
	}
	if err := decodeJSON(r, &body); err != nil || body.PurgeState != "documents_queued" {
		docuSignError(w, http.StatusBadRequest, "INVALID_REQUEST_BODY", "purgeState documents_queued expected")
		return
	}
	if !s.purge(KindDocuSign, r.PathValue("id")) {
		docuSignError(w, http.StatusNotFound, "ENVELOPE_DOES_NOT_EXIST", "The envelope specified either does not exist or you have no rights to the envelope.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"envelopeId": r.PathValue("id")})
}

// dropboxFiles serves a request's PDF (audit trail included), answering
// 409 the first DropboxFilesNotReady times, as Dropbox Sign does while
// it prepares them.
func (s *Sandbox) dropboxFiles(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, ok := s.lookup(KindDropboxSign, id)
	if !ok {
		dropboxError(w, http.StatusNotFound, "not_found", "Not found")
		return
	}
	if v.state == envelope.StateVoided {
		dropboxError(w, http.StatusGone, "deleted", "This resource has been deleted")
		return
	}
	if ft := r.URL.Query().Get("file_type"); ft != "" && ft != "pdf" {
		dropboxError(w, http.StatusBadRequest, "bad_request", "file_type must be pdf or zip")
		return
	}
	s.mu.Lock()
	t := s.byID[KindDropboxSign][id]
	t.fileCalls++
	notReady := t.fileCalls <= s.cfg.API.DropboxFilesNotReady
	s.mu.Unlock()
	if notReady {
		dropboxError(w, http.StatusConflict, "conflict", "Files are still being processed. Please try again later.")
		return
	}
	s.writeDocument(w, KindDropboxSign, id, "pdf")
}

func (s *Sandbox) adobeDocument(what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.lookup(KindAdobeSign, r.PathValue("id"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"code": "INVALID_AGREEMENT_ID", "message": "The Agreement ID specified is invalid."})
			return
		}
		if what == "combinedDocument" && r.URL.Query().Get("attachAuditReport") == "true" {
			what = "combinedDocument+audit"
		}
		s.writeDocument(w, KindAdobeSign, v.env.ID, what)
	}
}

func (s *Sandbox) adobePurge(w http.ResponseWriter, r *http.Request) {
	if !s.purge(KindAdobeSign, r.PathValue("id")) {
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "INVALID_AGREEMENT_ID", "message": "The Agreement ID specified is invalid."})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// padding is a deterministic filler that is not one repeated byte.
type padding struct {
	left int64
	off  int64
	seed byte
}

func (p *padding) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(b))
	if n > p.left {
		n = p.left
	}
	for i := range n {
		x := p.off + i
		b[i] = byte(x) ^ byte(x>>9) ^ p.seed
	}
	p.off += n
	p.left -= n
	return int(n), nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// decodeJSON decodes a small request body.
func decodeJSON(r *http.Request, v any) error {
	return json.NewDecoder(io.LimitReader(r.Body, maxAnswer)).Decode(v)
}
