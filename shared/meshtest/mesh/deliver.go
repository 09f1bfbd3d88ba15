package mesh

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/adobesign"
	"github.com/countersign/countersign/shared/providers/docusign"
	"github.com/countersign/countersign/shared/providers/dropboxsign"
	"github.com/countersign/countersign/shared/providers/esignanywhere"
	"github.com/countersign/countersign/shared/providers/standardwebhooks"
)

// Delivery is one provider callback for Deliver: the payload as the
// provider sends it, authenticated by Deliver the provider's way with the
// DefaultConfig secrets (or Secret).
type Delivery struct {
	// Provider is the provider kind (providers.KindDocuSign, …).
	Provider string
	// Tenant defaults to Tenant.
	Tenant string
	// Body is the payload. For Dropbox Sign, the JSON event: Deliver sets
	// its event.event_hash.
	Body []byte
	// Query is added to the URL (eSignAnyWhere: envelope, action, …;
	// Deliver adds the token).
	Query url.Values
	// ID is the Standard Webhooks webhook-id (default: a hash of Body).
	ID string
	// Secret overrides the DefaultConfig secret, key, client id or token.
	Secret string
}

// Deliver sends d to ingress, authenticated as its provider would, and
// returns the HTTP status (200 once JetStream has stored it). A transport
// error fails the test.
func (m *Mesh) Deliver(t meshtest.TB, d Delivery) int {
	t.Helper()
	if d.Tenant == "" {
		d.Tenant = Tenant
	}
	q := url.Values{}
	for k, vs := range d.Query {
		q[k] = append([]string(nil), vs...)
	}
	body := d.Body
	header := http.Header{"Content-Type": {"application/json"}}
	secret := func(def string) string {
		if d.Secret != "" {
			return d.Secret
		}
		return def
	}
	switch d.Provider {
	case providers.KindStandardWebhooks:
		id := d.ID
		if id == "" {
			sum := sha256.Sum256(body)
			id = "msg_" + hex.EncodeToString(sum[:12])
		}
		now := time.Now()
		sig, err := standardwebhooks.Sign(secret(StandardWebhooksSecret), id, now, body)
		if err != nil {
			t.Fatalf("mesh: deliver: %v", err)
		}
		header.Set("webhook-id", id)
		header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		header.Set("webhook-signature", sig)
	case providers.KindDocuSign:
		header.Set("X-DocuSign-Signature-1", docusign.Sign(secret(DocuSignHMACKey), body))
	case providers.KindDropboxSign:
		body = signDropbox(t, secret(DropboxSignAPIKey), body)
	case providers.KindAdobeSign:
		header.Set(adobesign.HeaderClientID, secret(AdobeSignClientID))
	case providers.KindESignAnyWhere:
		q.Set(esignanywhere.ParamToken, secret(ESignAnyWhereToken))
	default:
		t.Fatalf("mesh: deliver: unknown provider %q", d.Provider)
	}
	u := m.IngressURL + "/v1/webhooks/" + url.PathEscape(d.Tenant) + "/" + d.Provider
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("mesh: deliver: %v", err)
	}
	req.Header = header
	resp, err := probe.Do(req)
	if err != nil {
		t.Fatalf("mesh: deliver to %s: %v", d.Provider, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// signDropbox sets event.event_hash in a Dropbox Sign JSON event.
func signDropbox(t meshtest.TB, apiKey string, body []byte) []byte {
	t.Helper()
	var doc map[string]json.RawMessage
	var ev map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("mesh: deliver: Dropbox Sign body: %v", err)
	}
	if err := json.Unmarshal(doc["event"], &ev); err != nil {
		t.Fatalf("mesh: deliver: Dropbox Sign body has no event object: %v", err)
	}
	evTime, _ := ev["event_time"].(string)
	evType, _ := ev["event_type"].(string)
	ev["event_hash"] = dropboxsign.EventHash(apiKey, evTime, evType)
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("mesh: deliver: %v", err)
	}
	doc["event"] = raw
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("mesh: deliver: %v", err)
	}
	return out
}

// Ledger fetches an envelope's ledger from the admin API (with AdminToken)
// and verifies its hash chain here, as an auditor would; a broken chain
// fails the test. An envelope countersign does not know has no entries.
func (m *Mesh) Ledger(t meshtest.TB, tenant, envelopeID string) []envelope.Entry {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, m.AdminURL+"/v1/tenants/"+url.PathEscape(tenant)+"/envelopes/"+url.PathEscape(envelopeID)+"/ledger", nil)
	if err != nil {
		t.Fatalf("mesh: ledger: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := probe.Do(req)
	if err != nil {
		t.Fatalf("mesh: ledger: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mesh: ledger of %s/%s: %s", tenant, envelopeID, resp.Status)
	}
	var answer struct {
		Entries []json.RawMessage `json:"entries"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("mesh: ledger: %v", err)
	}
	raw := make([][]byte, len(answer.Entries))
	entries := make([]envelope.Entry, len(answer.Entries))
	for i, e := range answer.Entries {
		raw[i] = e
		if err := json.Unmarshal(e, &entries[i]); err != nil {
			t.Fatalf("mesh: ledger entry %d: %v", i+1, err)
		}
	}
	if err := envelope.VerifyChain(raw); err != nil {
		t.Fatalf("mesh: ledger of %s/%s: %v", tenant, envelopeID, err)
	}
	return entries
}
