package admin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
)

// putRecords stores envelope records as statesync does.
func putRecords(t *testing.T, n *meshtest.NATS, recs ...envelope.Record) {
	t.Helper()
	kv, err := n.JS.KeyValue(t.Context(), bus.BucketEnvelopes)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		data, _ := json.Marshal(rec)
		if _, err := kv.Put(t.Context(), envelope.RecordKey(rec.Tenant, rec.EnvelopeID), data); err != nil {
			t.Fatal(err)
		}
	}
}

type searchAnswer struct {
	Envelopes []struct {
		Tenant     string `json:"tenant"`
		EnvelopeID string `json:"envelope_id"`
		State      string `json:"state"`
		Provider   string `json:"provider"`
	} `json:"envelopes"`
	Scanned   int  `json:"scanned"`
	Truncated bool `json:"truncated"`
}

func (a searchAnswer) ids() string {
	var ids []string
	for _, e := range a.Envelopes {
		ids = append(ids, e.EnvelopeID)
	}
	return strings.Join(ids, ",")
}

// The console's search: filters by state, provider and part of the id,
// newest first, bounded by limit, scoped to the token's tenants.
func TestSearchEnvelopes(t *testing.T) {
	srv, n := scopedServer(t)
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	var recs []envelope.Record
	for i, spec := range []struct{ id, provider, state string }{
		{"a-1", "docusign", "completed"}, {"a-2", "docusign", "sent"}, {"b-3", "dropboxsign", "completed"},
		{"odd/id ü", "docusign", "sent"}, {"b-5", "docusign", "voided"},
	} {
		recs = append(recs, envelope.Record{Tenant: "acme", EnvelopeID: spec.id, Provider: spec.provider,
			State: envelope.State(spec.state), Seq: uint64(i + 1), UpdatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	recs = append(recs, envelope.Record{Tenant: "other", EnvelopeID: "x-1", Provider: "docusign", State: "sent", UpdatedAt: base})
	putRecords(t, n, recs...)

	for query, want := range map[string]string{
		"":                                "b-5,odd/id ü,b-3,a-2,a-1",
		"?state=completed":                "b-3,a-1",
		"?provider=docusign&state=sent":   "odd/id ü,a-2",
		"?q=B-":                           "b-5,b-3",
		"?q=%C3%BC":                       "odd/id ü",
		"?limit=2":                        "b-5,odd/id ü",
		"?state=completed&provider=nope":  "",
		"?q=a-&limit=1&provider=docusign": "a-2",
	} {
		code, body := call(t, srv, rootToken, http.MethodGet, "/v1/tenants/acme/envelopes"+query, "")
		var a searchAnswer
		if code != http.StatusOK || json.Unmarshal([]byte(body), &a) != nil {
			t.Fatalf("search %q: %d %s", query, code, body)
		}
		if a.ids() != want || a.Scanned != 5 {
			t.Errorf("search %q = %q (scanned %d), want %q (scanned 5)", query, a.ids(), a.Scanned, want)
		}
		if strings.Contains(query, "limit") && !a.Truncated {
			t.Errorf("search %q: more matched than the limit, but truncated is false", query)
		}
	}
	for _, bad := range []string{"?state=bogus", "?limit=0", "?limit=501", "?limit=x"} {
		if code, body := call(t, srv, rootToken, http.MethodGet, "/v1/tenants/acme/envelopes"+bad, ""); code != http.StatusBadRequest {
			t.Errorf("search %q: %d %s, want 400", bad, code, body)
		}
	}
	if code, _ := call(t, srv, acmeReader, http.MethodGet, "/v1/tenants/acme/envelopes", ""); code != http.StatusOK {
		t.Errorf("acme's read token on acme: %d, want 200", code)
	}
	if code, _ := call(t, srv, acmeReader, http.MethodGet, "/v1/tenants/other/envelopes", ""); code != http.StatusForbidden {
		t.Errorf("acme's read token on another tenant: %d, want 403", code)
	}
	if code, body := call(t, srv, rootToken, http.MethodGet, "/v1/tenants/empty/envelopes", ""); code != http.StatusOK || !strings.Contains(body, `"envelopes":[]`) {
		t.Errorf("a tenant without envelopes: %d %s, want an empty list", code, body)
	}
}

// The reconciliation status is what the reconciler keeps in the cursors
// bucket, per provider of the tenant.
func TestReconcileStatus(t *testing.T) {
	srv, n := scopedServer(t)
	kv, err := n.JS.KeyValue(t.Context(), bus.BucketCursors)
	if err != nil {
		t.Fatal(err)
	}
	since, last := "2026-11-01T10:00:00Z", "2026-11-01T10:05:00Z"
	for key, val := range map[string]string{
		"cursor.acme.docusign":       fmt.Sprintf(`{"since":%q,"last_round":%q}`, since, last),
		"lease.acme.docusign":        `{"holder":"host-1","until":"2026-11-01T10:06:00Z"}`,
		"cursor.acme.dropboxsign":    fmt.Sprintf(`{"since":%q,"last_round":%q}`, since, last),
		"cursor.other.docusign":      fmt.Sprintf(`{"since":%q,"last_round":%q}`, since, last),
		"checked.acme.docusign.env1": `"2026-11-01T10:00:00Z"`,
	} {
		if _, err := kv.Put(t.Context(), key, []byte(val)); err != nil {
			t.Fatal(err)
		}
	}
	code, body := call(t, srv, acmeReader, http.MethodGet, "/v1/tenants/acme/reconcile", "")
	var got struct {
		Providers []struct {
			Provider    string     `json:"provider"`
			Since       *time.Time `json:"since"`
			LastRound   *time.Time `json:"last_round"`
			LeaseHolder string     `json:"lease_holder"`
		} `json:"providers"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("status: %d %s", code, body)
	}
	if len(got.Providers) != 2 || got.Providers[0].Provider != "docusign" || got.Providers[1].Provider != "dropboxsign" ||
		got.Providers[0].LeaseHolder != "host-1" || got.Providers[0].LastRound == nil ||
		got.Providers[0].LastRound.Format(time.RFC3339) != last || got.Providers[1].Since == nil {
		t.Errorf("status = %s", body)
	}
	if code, _ := call(t, srv, acmeReader, http.MethodGet, "/v1/tenants/other/reconcile", ""); code != http.StatusForbidden {
		t.Errorf("another tenant's status: %d, want 403", code)
	}
}

// whoami tells the console what the token may do.
func TestWhoami(t *testing.T) {
	srv, _ := scopedServer(t)
	for token, want := range map[string]string{
		rootToken:    `{"name":"root","role":"operate","tenants":null}`,
		acmeReader:   `{"name":"acme-viewer","role":"read","tenants":["acme"]}`,
		acmeOperator: `{"name":"acme-ops","role":"operate","tenants":["acme"]}`,
	} {
		if code, body := call(t, srv, token, http.MethodGet, "/v1/whoami", ""); code != http.StatusOK || strings.TrimSpace(body) != want {
			t.Errorf("whoami: %d %s, want %s", code, body, want)
		}
	}
	if code, _ := call(t, srv, "", http.MethodGet, "/v1/whoami", ""); code != http.StatusUnauthorized {
		t.Errorf("whoami without a token: %d, want 401", code)
	}
}
