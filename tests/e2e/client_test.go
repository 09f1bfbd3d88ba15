package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/services/countersign/app"
	"github.com/countersign/countersign/shared/meshtest/mesh"
)

// specSecret is the Standard Webhooks spec's test secret (DefaultConfig).
const specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// startMesh runs the all-in-one over the harness.
func startMesh(t *testing.T, config string) *mesh.Mesh {
	t.Helper()
	return mesh.Start(t, mesh.Options{Build: app.Build, Config: config})
}

// swDelivery is one Standard Webhooks delivery, signed here by the test's
// own implementation of the spec (not countersign's adapter).
type swDelivery struct {
	ID   string
	TS   time.Time
	Body []byte
}

// swEvent is a Standard Webhooks payload for document_id envelope.
func swEvent(typ, envelopeID, recipientID string, at time.Time) []byte {
	data := map[string]string{"document_id": envelopeID}
	if recipientID != "" {
		data["recipient_id"] = recipientID
		data["signer_email"] = recipientID + "@example.com"
	}
	b, _ := json.Marshal(map[string]any{"type": typ, "timestamp": at.UTC().Format(time.RFC3339Nano), "data": data})
	return b
}

func swSign(secret, id string, ts time.Time, body []byte) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.%s", id, ts.Unix(), body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// post sends d to tenant's standardwebhooks endpoint, signed with secret.
func post(t *testing.T, client *http.Client, base, tenant, secret string, d swDelivery) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/webhooks/"+tenant+"/standardwebhooks", bytes.NewReader(d.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", d.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(d.TS.Unix(), 10))
	req.Header.Set("webhook-signature", swSign(secret, d.ID, d.TS, d.Body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// envelopeView is the admin API's envelope answer.
type envelopeView struct {
	Tenant     string `json:"tenant"`
	EnvelopeID string `json:"envelope_id"`
	Provider   string `json:"provider"`
	State      string `json:"state"`
	Recipients []struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		State string `json:"state"`
	} `json:"recipients"`
	UpdatedAt  string `json:"updated_at"`
	LedgerSeq  uint64 `json:"ledger_seq"`
	LedgerHash string `json:"ledger_hash"`
}

type ledgerView struct {
	Entries  []json.RawMessage `json:"entries"`
	Verified bool              `json:"verified"`
}

// adminGet GETs path on the admin API with the harness token into out;
// it returns the status.
func adminGet(t *testing.T, m *mesh.Mesh, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, m.AdminURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+mesh.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("admin GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("admin GET %s: decode: %v", path, err)
		}
	}
	return resp.StatusCode
}

func envelopePath(tenant, id string) string {
	return "/v1/tenants/" + tenant + "/envelopes/" + url.PathEscape(id)
}

// ledgerEntry is the part of a ledger entry the tests check.
type ledgerEntry struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	State    string `json:"state"`
	Seq      uint64 `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

func decodeEntries(t *testing.T, raw []json.RawMessage) []ledgerEntry {
	t.Helper()
	out := make([]ledgerEntry, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatalf("ledger entry %d: %v", i, err)
		}
	}
	return out
}
