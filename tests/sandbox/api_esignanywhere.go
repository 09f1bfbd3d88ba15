package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/countersign/countersign/shared/envelope"
)

// esawFileKinds are the files an eSignAnyWhere envelope offers; file ids
// are "<envelope id>_<kind>".
var esawFileKinds = []string{"document", "audittrail", "legal"}

func (s *Sandbox) esawAuth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hasHeader(r, "apiToken", s.cfg.API.ESignAnyWhereToken) {
			esawError(w, http.StatusUnauthorized, "ERR0011", "Invalid apiToken")
			return
		}
		h(w, r)
	})
}

func esawError(w http.ResponseWriter, status int, id, msg string) {
	writeJSON(w, status, map[string]string{"ErrorId": id, "Message": msg})
}

func esawNotFound(w http.ResponseWriter) {
	esawError(w, http.StatusNotFound, "ERR0007", "Envelope not found")
}

// esawStatus maps a state to eSignAnyWhere's EnvelopeStatus.
func esawStatus(s envelope.State) string {
	switch s {
	case envelope.StateCompleted:
		return "Completed"
	case envelope.StateDeclined:
		return "Rejected"
	case envelope.StateVoided:
		return "Canceled"
	case envelope.StateExpired:
		return "Expired"
	default:
		return "Active"
	}
}

func (s *Sandbox) esawEnvelope(w http.ResponseWriter, r *http.Request) {
	v, ok := s.lookup(KindESignAnyWhere, r.PathValue("id"))
	if !ok {
		esawNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"Id": v.env.ID, "Name": "Sandbox agreement", "EnvelopeStatus": esawStatus(v.state),
	})
}

func (s *Sandbox) esawFiles(w http.ResponseWriter, r *http.Request) {
	v, ok := s.lookup(KindESignAnyWhere, r.PathValue("id"))
	if !ok {
		esawNotFound(w)
		return
	}
	id := v.env.ID
	writeJSON(w, http.StatusOK, map[string]any{
		"Documents":      []map[string]any{{"FileId": id + "_document", "FileName": "agreement.pdf", "PageCount": 1}},
		"AuditTrail":     map[string]string{"FileId": id + "_audittrail", "XmlFileId": ""},
		"LegalDocuments": []map[string]any{{"FileId": id + "_legal", "FileName": "legal-evidence.pdf"}},
	})
}

func (s *Sandbox) esawFile(w http.ResponseWriter, r *http.Request) {
	id, kind, _ := strings.Cut(r.PathValue("fileId"), "_")
	v, ok := s.lookup(KindESignAnyWhere, id)
	known := false
	for _, k := range esawFileKinds {
		known = known || k == kind
	}
	if !ok || !known {
		esawError(w, http.StatusNotFound, "ERR0008", "File not found")
		return
	}
	s.writeDocument(w, KindESignAnyWhere, v.env.ID, kind)
}

// esawDelete deletes an envelope: afterwards it is not found.
func (s *Sandbox) esawDelete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		EnvelopeID string `json:"EnvelopeId"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxAnswer)).Decode(&req); err != nil || req.EnvelopeID == "" {
		esawError(w, http.StatusBadRequest, "ERR0001", "EnvelopeId is required")
		return
	}
	s.mu.Lock()
	t := s.byID[KindESignAnyWhere][req.EnvelopeID]
	found := t != nil && t.happened > 0 && !t.deleted
	if t != nil {
		t.purges++
	}
	if found {
		t.deleted = true
		t.purged = true
	}
	s.mu.Unlock()
	if !found {
		esawNotFound(w)
		return
	}
	w.WriteHeader(http.StatusOK)
}
