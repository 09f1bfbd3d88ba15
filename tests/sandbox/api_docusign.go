package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// docuSignMaxCount is listStatusChanges' largest page.
const docuSignMaxCount = 100

func (s *Sandbox) docuSignAuth(h http.HandlerFunc) http.Handler {
	return s.bearer(s.cfg.API.DocuSignToken, func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("account") != s.cfg.API.DocuSignAccount {
			docuSignError(w, http.StatusBadRequest, "ACCOUNT_LACKS_PERMISSIONS", "This account lacks sufficient permissions.")
			return
		}
		h(w, r)
	})
}

func docuSignError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"errorCode": code, "message": msg})
}

// docuSignStatus maps a state to DocuSign's envelope status; a partly
// signed envelope is still "delivered" there, an expired one "timedout".
func docuSignStatus(s envelope.State) string {
	switch s {
	case envelope.StateSent:
		return "sent"
	case envelope.StateDelivered, envelope.StatePartiallySigned:
		return "delivered"
	case envelope.StateExpired:
		return "timedout"
	default:
		return string(s)
	}
}

func docuSignTimeOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(docuSignTime)
}

// parseDocuSignDate accepts the forms DocuSign does: RFC 3339 with or
// without fractions, and a bare date.
func parseDocuSignDate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// docuSignSummary is one envelope as DocuSign lists and returns it.
func docuSignSummary(v view) map[string]any {
	m := map[string]any{
		"envelopeId":            v.env.ID,
		"status":                docuSignStatus(v.state),
		"statusChangedDateTime": docuSignTimeOf(v.last),
		"sentDateTime":          docuSignTimeOf(v.at(envelope.TypeSent)),
		"emailSubject":          "Please sign: sandbox agreement",
	}
	for t, field := range map[envelope.Type]string{
		envelope.TypeDelivered: "deliveredDateTime", envelope.TypeCompleted: "completedDateTime",
		envelope.TypeDeclined: "declinedDateTime", envelope.TypeVoided: "voidedDateTime",
	} {
		if at := v.at(t); !at.IsZero() {
			m[field] = docuSignTimeOf(at)
		}
	}
	if v.state == envelope.StateVoided {
		m["voidedReason"] = "Voided by sender"
	}
	return m
}

// docuSignList is listStatusChanges: envelopes changed since from_date,
// oldest change first, paged by start_position and count (≤ 100). The
// counts are JSON strings and nextUri is relative to the account, as
// DocuSign does.
func (s *Sandbox) docuSignList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, ok := parseDocuSignDate(q.Get("from_date"))
	if !ok {
		docuSignError(w, http.StatusBadRequest, "INVALID_REQUEST_PARAMETER", "from_date is required and must be a date")
		return
	}
	to, hasTo := parseDocuSignDate(q.Get("to_date"))
	start, _ := strconv.Atoi(q.Get("start_position"))
	count, err := strconv.Atoi(q.Get("count"))
	if err != nil || count <= 0 || count > docuSignMaxCount {
		count = docuSignMaxCount
	}
	start = max(start, 0)
	var all []view
	for _, v := range s.list(KindDocuSign) {
		if v.last.Before(from) || (hasTo && !v.last.Before(to)) {
			continue
		}
		all = append(all, v)
	}
	slices.SortStableFunc(all, func(a, b view) int {
		if c := a.last.Compare(b.last); c != 0 {
			return c
		}
		if a.env.ID < b.env.ID {
			return -1
		}
		return 1
	})
	page := all[min(start, len(all)):min(start+count, len(all))]
	withRecipients := slices.Contains(strings.Split(q.Get("include"), ","), "recipients")
	envs := make([]map[string]any, len(page))
	for i, v := range page {
		envs[i] = docuSignSummary(v)
		if withRecipients {
			envs[i]["recipients"] = docuSignRecipients(v)
		}
	}
	next := ""
	if start+len(page) < len(all) {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("start_position", strconv.Itoa(start+len(page)))
		nq.Set("count", strconv.Itoa(count))
		next = "/envelopes?" + nq.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resultSetSize": strconv.Itoa(len(page)),
		"startPosition": strconv.Itoa(start),
		"endPosition":   strconv.Itoa(max(start+len(page)-1, 0)),
		"totalSetSize":  strconv.Itoa(len(all)),
		"nextUri":       next,
		"envelopes":     envs,
	})
}

func (s *Sandbox) docuSignEnvelope(w http.ResponseWriter, r *http.Request) {
	v, ok := s.lookup(KindDocuSign, r.PathValue("id"))
	if !ok {
		docuSignError(w, http.StatusNotFound, "ENVELOPE_DOES_NOT_EXIST", "The envelope specified either does not exist or you have no rights to the envelope.")
		return
	}
	m := docuSignSummary(v)
	m["recipients"] = docuSignRecipients(v)
	writeJSON(w, http.StatusOK, m)
}

// docuSignRecipients is an envelope's recipients as DocuSign returns them
// (GET envelopes/{id}?include=recipients, listStatusChanges with
// include=recipients).
func docuSignRecipients(v view) map[string]any {
	signers := make([]map[string]string, len(v.rs))
	for i, rr := range v.rs {
		st := string(rr.State)
		if rr.State == envelope.RecipientSigned {
			st = "completed"
		}
		signers[i] = map[string]string{"recipientId": rr.ID, "email": rr.Email, "status": st, "routingOrder": strconv.Itoa(i + 1)}
	}
	return map[string]any{"signers": signers}
}

func (s *Sandbox) docuSignDocument(w http.ResponseWriter, r *http.Request) {
	doc := r.PathValue("doc")
	if doc != "combined" && doc != "certificate" {
		docuSignError(w, http.StatusNotFound, "DOCUMENT_DOES_NOT_EXIST", "The document specified was not found.")
		return
	}
	v, ok := s.lookup(KindDocuSign, r.PathValue("id"))
	if !ok {
		docuSignError(w, http.StatusNotFound, "ENVELOPE_DOES_NOT_EXIST", "The envelope specified either does not exist or you have no rights to the envelope.")
		return
	}
	s.writeDocument(w, KindDocuSign, v.env.ID, doc)
}
