package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/envelope"
)

// docuSignTime is DocuSign's timestamp layout: seven fractional digits.
const docuSignTime = "2006-01-02T15:04:05.0000000Z"

// dropboxAck is the body Dropbox Sign requires in a callback's answer.
const dropboxAck = "Hello API Event Received"

// message is one callback of one step: what a provider queues and
// redelivers. Its id and body (DocuSign's retryCount aside) stay the same
// across redeliveries.
type message struct {
	env  *Envelope
	step int // index in env.Script; -1 for a forgery
	st   Step
	// id is the provider's delivery id where it has one.
	id string
	// rotation adds a second, stale signature header (key rotation), and
	// picks GET for eSignAnyWhere.
	rotation bool
	forged   bool
}

// wire is one HTTP attempt, ready to send.
type wire struct {
	method string
	url    string
	header http.Header
	body   []byte
}

// eventName returns kind's name for the callback announcing st, or "" when
// the provider sends no callback for it (DocuSign's expiry, eSignAnyWhere's
// void: countersign learns those from the API).
func eventName(kind string, st Step) string {
	names := map[string]map[envelope.Type]string{
		KindStandardWebhooks: {
			envelope.TypeSent: "document.sent", envelope.TypeDelivered: "document.viewed",
			envelope.TypeRecipientSigned: "recipient.signed", envelope.TypeCompleted: "document.completed",
			envelope.TypeDeclined: "document.declined", envelope.TypeVoided: "document.voided",
			envelope.TypeExpired: "document.expired", envelope.TypeRecipientDeliveryFailed: "recipient.delivery_failed",
		},
		KindDocuSign: {
			envelope.TypeSent: "envelope-sent", envelope.TypeDelivered: "recipient-delivered",
			envelope.TypeRecipientSigned: "recipient-completed", envelope.TypeCompleted: "envelope-completed",
			envelope.TypeDeclined: "envelope-declined", envelope.TypeVoided: "envelope-voided",
			envelope.TypeRecipientDeclined: "recipient-declined", envelope.TypeRecipientDeliveryFailed: "recipient-autoresponded",
		},
		KindDropboxSign: {
			envelope.TypeSent: "signature_request_sent", envelope.TypeDelivered: "signature_request_viewed",
			envelope.TypeRecipientSigned: "signature_request_signed", envelope.TypeCompleted: "signature_request_all_signed",
			envelope.TypeDeclined: "signature_request_declined", envelope.TypeVoided: "signature_request_canceled",
			envelope.TypeExpired: "signature_request_expired", envelope.TypeRecipientDeliveryFailed: "signature_request_email_bounce",
		},
		KindAdobeSign: {
			envelope.TypeSent: "AGREEMENT_ACTION_REQUESTED", envelope.TypeDelivered: "AGREEMENT_EMAIL_VIEWED",
			envelope.TypeRecipientSigned: "AGREEMENT_ACTION_COMPLETED", envelope.TypeCompleted: "AGREEMENT_WORKFLOW_COMPLETED",
			envelope.TypeDeclined: "AGREEMENT_REJECTED", envelope.TypeVoided: "AGREEMENT_RECALLED",
			envelope.TypeExpired: "AGREEMENT_EXPIRED", envelope.TypeRecipientDeliveryFailed: "AGREEMENT_EMAIL_BOUNCED",
		},
		KindESignAnyWhere: {
			envelope.TypeSent: "sendSignNotification", envelope.TypeDelivered: "workstepOpened",
			envelope.TypeRecipientSigned: "workstepFinished", envelope.TypeCompleted: "envelopeFinished",
			envelope.TypeDeclined: "workstepRejected", envelope.TypeExpired: "envelopeExpired",
		},
		// PandaDoc: document_state_changed carries the status named here;
		// a signer's completion is its own event.
		KindPandaDoc: {
			envelope.TypeSent: "document.sent", envelope.TypeDelivered: "document.viewed",
			envelope.TypeRecipientSigned: "recipient_completed", envelope.TypeCompleted: "document.completed",
			envelope.TypeDeclined: "document.declined", envelope.TypeVoided: "document.voided",
		},
	}
	return names[kind][st.Type]
}

// stepRecipient returns the recipient a step names; sent names the first
// recipient (the one the provider asks to act) for providers that say so.
func stepRecipient(e *Envelope, st Step) *Recipient {
	if st.Recipient >= 0 && st.Recipient < len(e.Recipients) {
		return &e.Recipients[st.Recipient]
	}
	if st.Type == envelope.TypeSent && len(e.Recipients) > 0 &&
		(e.Provider == KindAdobeSign || e.Provider == KindESignAnyWhere) {
		return &e.Recipients[0]
	}
	return nil
}

// build returns attempt number attempt (0 for the first) of m, sent at now.
func (s *Sandbox) build(m *message, attempt int, now time.Time) (wire, error) {
	e := m.env
	tenant := e.Tenant
	if tenant == "" {
		tenant = s.cfg.Tenant
	}
	w := wire{
		method: http.MethodPost,
		url:    strings.TrimRight(s.cfg.Target, "/") + "/v1/webhooks/" + url.PathEscape(tenant) + "/" + e.Provider,
		header: http.Header{},
	}
	name := eventName(e.Provider, m.st)
	r := stepRecipient(e, m.st)
	var err error
	switch e.Provider {
	case KindStandardWebhooks:
		err = s.buildStandardWebhooks(&w, m, name, r, now)
	case KindDocuSign:
		err = s.buildDocuSign(&w, m, name, r, attempt)
	case KindDropboxSign:
		err = s.buildDropbox(&w, m, name, r)
	case KindAdobeSign:
		err = s.buildAdobe(&w, m, name, r)
	case KindESignAnyWhere:
		s.buildESignAnyWhere(&w, m, name, r)
	case KindPandaDoc:
		err = s.buildPandaDoc(&w, m, name, r)
	default:
		err = fmt.Errorf("%w: %q", ErrUnknownKind, e.Provider)
	}
	return w, err
}

func (s *Sandbox) buildStandardWebhooks(w *wire, m *message, name string, r *Recipient, now time.Time) error {
	type data struct {
		DocumentID  string `json:"document_id"`
		RecipientID string `json:"recipient_id,omitempty"`
		SignerEmail string `json:"signer_email,omitempty"`
	}
	d := data{DocumentID: m.env.ID}
	if r != nil {
		d.RecipientID, d.SignerEmail = r.ID, r.Email
	}
	body, err := json.Marshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      data   `json:"data"`
	}{name, m.st.At.UTC().Format(time.RFC3339Nano), d})
	if err != nil {
		return fmt.Errorf("sandbox: standard webhooks body: %w", err)
	}
	secret := s.cfg.Secrets.StandardWebhooks
	if m.forged {
		secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("forged:"+m.id))
	}
	ts := now.Unix()
	sig, err := SignStandardWebhooks(secret, m.id, ts, body)
	if err != nil {
		return err
	}
	if m.rotation {
		// A rotated-out key's signature beside the valid one: any match passes.
		stale, _ := SignStandardWebhooks("whsec_"+base64.StdEncoding.EncodeToString([]byte("old:"+m.id)), m.id, ts, body)
		sig = stale + " v2,bm90LWEtdjE= " + sig
	}
	w.header.Set("Content-Type", "application/json")
	w.header.Set("webhook-id", m.id)
	w.header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	w.header.Set("webhook-signature", sig)
	w.body = body
	return nil
}

func (s *Sandbox) buildDocuSign(w *wire, m *message, name string, r *Recipient, attempt int) error {
	type data struct {
		AccountID   string `json:"accountId"`
		UserID      string `json:"userId"`
		RecipientID string `json:"recipientId,omitempty"`
		EnvelopeID  string `json:"envelopeId"`
	}
	acct := s.cfg.API.DocuSignAccount
	d := data{AccountID: acct, UserID: "user-sandbox", EnvelopeID: m.env.ID}
	if r != nil {
		d.RecipientID = r.ID
	}
	body, err := json.Marshal(struct {
		Event             string `json:"event"`
		APIVersion        string `json:"apiVersion"`
		URI               string `json:"uri"`
		RetryCount        int    `json:"retryCount"`
		ConfigurationID   int    `json:"configurationId"`
		GeneratedDateTime string `json:"generatedDateTime"`
		Data              data   `json:"data"`
	}{name, "v2.1", "/restapi/v2.1/accounts/" + acct + "/envelopes/" + m.env.ID, attempt, 12345,
		m.st.At.UTC().Format(docuSignTime), d})
	if err != nil {
		return fmt.Errorf("sandbox: docusign body: %w", err)
	}
	key := s.cfg.Secrets.DocuSignKey
	if m.forged {
		key = "forged:" + m.id
	}
	w.header.Set("Content-Type", "application/json")
	w.header.Set("X-DocuSign-Signature-1", SignDocuSign(key, body))
	if m.rotation {
		w.header.Set("X-DocuSign-Signature-2", SignDocuSign("rotated-out:"+key, body))
	}
	w.body = body
	return nil
}

func (s *Sandbox) buildDropbox(w *wire, m *message, name string, r *Recipient) error {
	type signature struct {
		SignatureID string `json:"signature_id"`
		Email       string `json:"signer_email_address"`
		StatusCode  string `json:"status_code"`
		SignedAt    *int64 `json:"signed_at"`
	}
	n := m.step + 1
	if m.forged {
		n = len(m.env.Script)
	}
	state, rs := m.env.Fold(n)
	sigs := make([]signature, len(rs))
	for i, rr := range rs {
		sigs[i] = signature{SignatureID: rr.ID, Email: rr.Email, StatusCode: dropboxStatusCode(rr.State)}
		if rr.State == envelope.RecipientSigned {
			at := m.st.At.Unix()
			sigs[i].SignedAt = &at
		}
	}
	eventTime := strconv.FormatInt(m.st.At.Unix(), 10)
	key := s.cfg.Secrets.DropboxAPIKey
	if m.forged {
		key = "forged:" + m.id
	}
	meta := map[string]any{"related_signature_id": nil, "reported_for_account_id": "sandbox-account"}
	if r != nil {
		meta["related_signature_id"] = r.ID
	}
	payload, err := json.Marshal(map[string]any{
		"event": map[string]any{
			"event_time": eventTime, "event_type": name,
			"event_hash":     DropboxEventHash(key, eventTime, name),
			"event_metadata": meta,
		},
		"signature_request": map[string]any{
			"signature_request_id": m.env.ID,
			"title":                "Sandbox agreement " + m.env.ID[:8],
			"is_complete":          state == envelope.StateCompleted,
			"is_declined":          state == envelope.StateDeclined,
			"has_error":            false,
			"signatures":           sigs,
		},
	})
	if err != nil {
		return fmt.Errorf("sandbox: dropbox payload: %w", err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// A fixed boundary per message keeps redeliveries byte-identical.
	if err := mw.SetBoundary("sandbox" + m.id); err != nil {
		return fmt.Errorf("sandbox: dropbox boundary: %w", err)
	}
	if err := mw.WriteField("json", string(payload)); err != nil {
		return fmt.Errorf("sandbox: dropbox form: %w", err)
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("sandbox: dropbox form: %w", err)
	}
	w.header.Set("Content-Type", mw.FormDataContentType())
	w.header.Set("User-Agent", "HelloSign API")
	w.body = buf.Bytes()
	return nil
}

func dropboxStatusCode(s envelope.RecipientState) string {
	switch s {
	case envelope.RecipientSigned:
		return "signed"
	case envelope.RecipientDeclined:
		return "declined"
	default:
		return "awaiting_signature"
	}
}

func (s *Sandbox) buildAdobe(w *wire, m *message, name string, r *Recipient) error {
	n := m.step + 1
	if m.forged {
		n = len(m.env.Script)
	}
	state, _ := m.env.Fold(n)
	if m.forged {
		state = envelope.StateDeclined
	}
	body := map[string]any{
		"webhookId":             s.cfg.AdobeWebhookID,
		"webhookName":           "countersign",
		"webhookNotificationId": m.id,
		"webhookUrlInfo":        map[string]string{"url": w.url},
		"event":                 name,
		"eventDate":             m.st.At.UTC().Format(time.RFC3339),
		"eventResourceType":     "agreement",
		"actingUserEmail":       "sender@example.com",
		"agreement": map[string]string{
			"id": m.env.ID, "name": "Sandbox agreement", "status": adobeStatus(state),
		},
	}
	if r != nil {
		body["participantRole"] = "SIGNER"
		body["participantUserEmail"] = r.Email
		if m.st.Type != envelope.TypeSent {
			body["actingUserEmail"] = r.Email
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("sandbox: adobe body: %w", err)
	}
	client := s.cfg.Secrets.AdobeClientID
	if m.forged {
		client = "forged-" + m.id
	}
	w.header.Set("Content-Type", "application/json")
	w.header.Set("X-ADOBESIGN-CLIENTID", client)
	w.body = raw
	return nil
}

func (s *Sandbox) buildESignAnyWhere(w *wire, m *message, name string, r *Recipient) {
	q := url.Values{}
	q.Set("envelope", m.env.ID)
	q.Set("action", name)
	token := s.cfg.Secrets.ESignAnyWhereToken
	if m.forged {
		token = "forged-" + m.id
	}
	q.Set("token", token)
	if r != nil && (strings.HasPrefix(name, "workstep") || name == "sendSignNotification") {
		q.Set("recipient", r.Email)
	}
	w.url += "?" + q.Encode()
	if m.rotation {
		w.method = http.MethodGet
	}
}

// acknowledged reports whether resp is the answer kind's provider takes
// as success: a 2xx, plus Dropbox Sign's fixed body and Adobe Sign's
// client id echo.
func (s *Sandbox) acknowledged(kind string, resp *http.Response, body []byte) bool {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false
	}
	switch kind {
	case KindDropboxSign:
		return strings.Contains(string(body), dropboxAck)
	case KindAdobeSign:
		if resp.Header.Get("X-AdobeSign-ClientId") == s.cfg.Secrets.AdobeClientID {
			return true
		}
		var echo struct {
			ID string `json:"xAdobeSignClientId"`
		}
		return json.Unmarshal(body, &echo) == nil && echo.ID == s.cfg.Secrets.AdobeClientID
	}
	return true
}
