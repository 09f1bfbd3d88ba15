package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testSecrets are the credentials of the fake ingress and the sandbox.
var testSecrets = Secrets{
	StandardWebhooks:   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	DocuSignKey:        "docusign-test-key",
	DropboxAPIKey:      "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782",
	AdobeClientID:      "adobe-client-1",
	ESignAnyWhereToken: "esaw-token-1",
	PandaDocKey:        "pandadoc-test-key",
}

// delivery is one request the fake ingress authenticated.
type delivery struct {
	kind, tenant string
	envelopeID   string
	event        string
	recipient    string
	deliveryID   string
	body         []byte
	header       http.Header
	status       int
}

// key names the happening a delivery reports (each (event, recipient)
// occurs once per generated envelope).
func (d delivery) key() string {
	return d.kind + "|" + d.envelopeID + "|" + d.event + "|" + d.recipient
}

// fakeIngress authenticates callbacks with its own reading of each
// provider's rules, records them and answers like countersign would.
type fakeIngress struct {
	// failFirst answers 503 to the first failFirst attempts of each
	// happening.
	failFirst int
	srv       *httptest.Server

	mu         sync.Mutex
	deliveries []delivery
	attempts   map[string]int
	rejected   int
}

func newFakeIngress(t *testing.T, failFirst int) *fakeIngress {
	t.Helper()
	f := &fakeIngress{failFirst: failFirst, attempts: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/webhooks/{tenant}/{provider}", f.serve)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIngress) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d, ok := authenticate(r, body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !ok {
		f.rejected++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	d.tenant = r.PathValue("tenant")
	f.attempts[d.key()]++
	d.status = http.StatusOK
	if f.attempts[d.key()] <= f.failFirst {
		d.status = http.StatusServiceUnavailable
	}
	f.deliveries = append(f.deliveries, d)
	switch {
	case d.status != http.StatusOK:
		w.WriteHeader(d.status)
	case d.kind == KindDropboxSign:
		_, _ = io.WriteString(w, dropboxAck)
	case d.kind == KindAdobeSign:
		w.Header().Set("X-AdobeSign-ClientId", r.Header.Get("X-ADOBESIGN-CLIENTID"))
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeIngress) snapshot() ([]delivery, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]delivery(nil), f.deliveries...), f.rejected
}

// authenticate checks and parses one callback.
func authenticate(r *http.Request, body []byte) (delivery, bool) {
	d := delivery{kind: r.PathValue("provider"), body: body, header: r.Header.Clone()}
	switch d.kind {
	case KindStandardWebhooks:
		id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
			return d, false
		}
		want, _ := SignStandardWebhooks(testSecrets.StandardWebhooks, id, sec, body)
		found := false
		for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
			found = found || sig == want
		}
		var p struct {
			Type string `json:"type"`
			Data struct {
				DocumentID  string `json:"document_id"`
				RecipientID string `json:"recipient_id"`
			} `json:"data"`
		}
		d.deliveryID = id
		return d, found && json.Unmarshal(body, &p) == nil && fill(&d, p.Data.DocumentID, p.Type, p.Data.RecipientID)
	case KindDocuSign:
		var p struct {
			Event string `json:"event"`
			Data  struct {
				EnvelopeID  string `json:"envelopeId"`
				RecipientID string `json:"recipientId"`
			} `json:"data"`
		}
		ok := r.Header.Get("X-DocuSign-Signature-1") == SignDocuSign(testSecrets.DocuSignKey, body)
		return d, ok && json.Unmarshal(body, &p) == nil && fill(&d, p.Data.EnvelopeID, p.Event, p.Data.RecipientID)
	case KindDropboxSign:
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			return d, false
		}
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(1 << 20)
		if err != nil || len(form.Value["json"]) != 1 {
			return d, false
		}
		var p struct {
			Event struct {
				Time string `json:"event_time"`
				Type string `json:"event_type"`
				Hash string `json:"event_hash"`
				Meta struct {
					Sig *string `json:"related_signature_id"`
				} `json:"event_metadata"`
			} `json:"event"`
			Request struct {
				ID string `json:"signature_request_id"`
			} `json:"signature_request"`
		}
		if json.Unmarshal([]byte(form.Value["json"][0]), &p) != nil {
			return d, false
		}
		rcp := ""
		if p.Event.Meta.Sig != nil {
			rcp = *p.Event.Meta.Sig
		}
		ok := p.Event.Hash == DropboxEventHash(testSecrets.DropboxAPIKey, p.Event.Time, p.Event.Type)
		return d, ok && fill(&d, p.Request.ID, p.Event.Type, rcp)
	case KindAdobeSign:
		var p struct {
			NotificationID string `json:"webhookNotificationId"`
			Event          string `json:"event"`
			Participant    string `json:"participantUserEmail"`
			Agreement      struct {
				ID string `json:"id"`
			} `json:"agreement"`
		}
		ok := r.Header.Get("X-ADOBESIGN-CLIENTID") == testSecrets.AdobeClientID
		if ok && json.Unmarshal(body, &p) == nil {
			d.deliveryID = p.NotificationID
			return d, fill(&d, p.Agreement.ID, p.Event, p.Participant)
		}
		return d, false
	case KindPandaDoc:
		var events []struct {
			Event string `json:"event"`
			Data  struct {
				ID       string `json:"id"`
				Status   string `json:"status"`
				ActionBy *struct {
					Email string `json:"email"`
				} `json:"action_by"`
			} `json:"data"`
		}
		ok := r.URL.Query().Get("signature") == SignPandaDoc(testSecrets.PandaDocKey, body)
		if !ok || json.Unmarshal(body, &events) != nil || len(events) == 0 {
			return d, false
		}
		// A batch reports an earlier happening first: the last event is
		// the one this delivery is for.
		last := events[len(events)-1]
		name, rcp := last.Data.Status, ""
		if last.Event == "recipient_completed" {
			name = last.Event
		}
		if last.Data.ActionBy != nil {
			rcp = last.Data.ActionBy.Email
		}
		return d, fill(&d, last.Data.ID, name, rcp)
	case KindESignAnyWhere:
		q := r.URL.Query()
		return d, q.Get("token") == testSecrets.ESignAnyWhereToken && fill(&d, q.Get("envelope"), q.Get("action"), q.Get("recipient"))
	}
	return d, false
}

func fill(d *delivery, envelopeID, event, recipient string) bool {
	d.envelopeID, d.event, d.recipient = envelopeID, event, recipient
	return envelopeID != "" && event != ""
}
