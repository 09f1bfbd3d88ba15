package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/services/admin"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
)

const (
	tokenA = "admin-token-one"
	tokenB = "admin-token-two"
)

// fixture is an admin service over an embedded NATS server holding the
// ENVELOPES stream and the envelopes bucket.
type fixture struct {
	nats *meshtest.NATS
	kv   jetstream.KeyValue
	svc  *admin.Service
	last map[string]envelope.Entry // chain heads by tenant/envelope
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	n := meshtest.StartNATS(t)
	ctx := t.Context()
	if _, err := n.JS.CreateStream(ctx, jetstream.StreamConfig{
		Name: bus.StreamEnvelopes, Subjects: []string{envelope.SubjectPrefix + ".>"},
	}); err != nil {
		t.Fatalf("create stream: %v", err)
	}
	kv, err := n.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bus.BucketEnvelopes})
	if err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	svc, err := admin.New(ctx, admin.Config{
		Tokens: []string{tokenA, "", tokenB},
		JS:     n.JS,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{nats: n, kv: kv, svc: svc, last: map[string]envelope.Entry{}}
}

// putRecord stores an envelope record as statesync does.
func (f *fixture) putRecord(t *testing.T, rec envelope.Record) {
	t.Helper()
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatalf("marshal record: %v", err)
	}
	if _, err := f.kv.Put(t.Context(), envelope.RecordKey(rec.Tenant, rec.EnvelopeID), data); err != nil {
		t.Fatalf("put record: %v", err)
	}
}

// appendEntry chains and publishes a ledger entry; tamper, if set, changes
// the entry after it was hashed.
func (f *fixture) appendEntry(t *testing.T, tenant, id string, typ envelope.Type, tamper func(*envelope.Entry)) []byte {
	t.Helper()
	prev := f.last[tenant+"/"+id]
	e := envelope.Entry{
		ID: "ev-" + string(typ), Tenant: tenant, Provider: "docusign", EnvelopeID: id, Type: typ,
		State: envelope.StateSent, PreviousState: prev.State, OccurredAt: "2025-01-02T10:00:00Z",
		RecordedAt: "2025-01-02T10:00:01Z", Source: envelope.SourceWebhook, Seq: prev.Seq + 1, PrevHash: prev.Hash,
	}
	if e.PreviousState == "" {
		e.PreviousState = envelope.StateCreated
	}
	hash, err := e.ComputeHash()
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	e.Hash = hash
	if tamper != nil {
		tamper(&e)
	}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("marshal entry: %v", err)
	}
	if _, err := f.nats.JS.Publish(t.Context(), e.Subject(), data); err != nil {
		t.Fatalf("publish: %v", err)
	}
	f.last[tenant+"/"+id] = e
	return data
}

// get performs a request against the handler; token "" sends none.
func (f *fixture) get(t *testing.T, method, path, token string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), method, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.svc.Handler().ServeHTTP(w, r)
	return w
}

// envelopePath is the admin path of an envelope, its id escaped as a
// client must.
func envelopePath(tenant, id string) string {
	return "/v1/tenants/" + tenant + "/envelopes/" + url.PathEscape(id)
}

// decodeObject decodes a JSON object answer, failing on anything else.
func decodeObject(t *testing.T, w *httptest.ResponseRecorder) map[string]json.RawMessage {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, body %s", ct, w.Body)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &obj); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, w.Body)
	}
	return obj
}

func sortedKeys(m map[string]json.RawMessage) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}

func TestBearerAuth(t *testing.T) {
	f := newFixture(t)
	f.putRecord(t, envelope.Record{Tenant: "acme", Provider: "docusign", EnvelopeID: "e1", State: envelope.StateSent})
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"token prefix", "Bearer " + tokenA[:5], http.StatusUnauthorized},
		{"token with suffix", "Bearer " + tokenA + "x", http.StatusUnauthorized},
		{"empty bearer", "Bearer ", http.StatusUnauthorized},
		{"basic scheme", "Basic " + tokenA, http.StatusUnauthorized},
		{"bare token", tokenA, http.StatusUnauthorized},
		{"first token", "Bearer " + tokenA, http.StatusOK},
		{"second token", "Bearer " + tokenB, http.StatusOK},
		{"scheme is case-insensitive", "bearer " + tokenB, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, envelopePath("acme", "e1"), nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			f.svc.Handler().ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			obj := decodeObject(t, w)
			if tt.want != http.StatusUnauthorized {
				return
			}
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", w.Header().Get("WWW-Authenticate"))
			}
			if _, ok := obj["error"]; !ok || len(obj) != 1 {
				t.Errorf("401 body %s, want {\"error\":...}", w.Body)
			}
		})
	}
}

func TestEndpointsWithoutToken(t *testing.T) {
	f := newFixture(t)
	f.get(t, http.MethodGet, envelopePath("acme", "e1"), tokenA) // so a request metric exists
	tests := []struct {
		path string
		want string
	}{
		{"/healthz", ""},
		{"/readyz", ""},
		// Labelled by route pattern, never by raw path (ids are unbounded).
		{"/metrics", `countersign_admin_requests_total{code="404",route="GET /v1/tenants/{tenant}/envelopes/{id}"} 1`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := f.get(t, http.MethodGet, tt.path, "")
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if !strings.Contains(w.Body.String(), tt.want) {
				t.Fatalf("body lacks %q:\n%s", tt.want, w.Body)
			}
		})
	}
}

func TestGetEnvelope(t *testing.T) {
	f := newFixture(t)
	updated := time.Date(2025, 1, 2, 10, 0, 1, 0, time.UTC)
	for _, id := range []string{"93be49ab-cf8a-4e5b", "odd/id ü?#%"} {
		f.putRecord(t, envelope.Record{
			Tenant: "acme", Provider: "docusign", EnvelopeID: id, State: envelope.StatePartiallySigned,
			Recipients: []envelope.Recipient{
				{ID: "r1", Email: "a@example.com", State: envelope.RecipientSigned, DeliveryFailures: 1},
				{Email: "b@example.com", State: envelope.RecipientDelivered},
			},
			Applied: []string{"x"}, Seq: 4, LastHash: strings.Repeat("ab", 32), UpdatedAt: updated,
		})
	}
	for _, id := range []string{"93be49ab-cf8a-4e5b", "odd/id ü?#%"} {
		t.Run(id, func(t *testing.T) {
			w := f.get(t, http.MethodGet, envelopePath("acme", id), tokenA)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			obj := decodeObject(t, w)
			wantKeys := []string{"envelope_id", "ledger_hash", "ledger_seq", "provider", "recipients", "state", "tenant", "updated_at"}
			if got := sortedKeys(obj); !slices.Equal(got, wantKeys) {
				t.Fatalf("fields %v, want exactly %v", got, wantKeys)
			}
			var recipients []map[string]json.RawMessage
			if err := json.Unmarshal(obj["recipients"], &recipients); err != nil || len(recipients) != 2 {
				t.Fatalf("recipients %s: %v", obj["recipients"], err)
			}
			for _, r := range recipients {
				if got := sortedKeys(r); !slices.Equal(got, []string{"email", "id", "state"}) {
					t.Fatalf("recipient fields %v, want exactly [email id state]", got)
				}
			}
			var got struct {
				Tenant     string    `json:"tenant"`
				EnvelopeID string    `json:"envelope_id"`
				Provider   string    `json:"provider"`
				State      string    `json:"state"`
				UpdatedAt  time.Time `json:"updated_at"`
				LedgerSeq  uint64    `json:"ledger_seq"`
				LedgerHash string    `json:"ledger_hash"`
				Recipients []struct {
					ID, Email, State string
				} `json:"recipients"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Tenant != "acme" || got.EnvelopeID != id || got.Provider != "docusign" ||
				got.State != "partially_signed" || !got.UpdatedAt.Equal(updated) || got.LedgerSeq != 4 ||
				got.LedgerHash != strings.Repeat("ab", 32) {
				t.Fatalf("envelope %+v", got)
			}
			if r := got.Recipients[0]; r.ID != "r1" || r.Email != "a@example.com" || r.State != "signed" {
				t.Fatalf("recipient %+v", r)
			}
			if r := got.Recipients[1]; r.ID != "" || r.Email != "b@example.com" || r.State != "delivered" {
				t.Fatalf("recipient %+v", r)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	f := newFixture(t)
	f.putRecord(t, envelope.Record{Tenant: "acme", Provider: "docusign", EnvelopeID: "e1", State: envelope.StateSent})
	tests := []struct {
		name string
		path string
	}{
		{"unknown envelope", envelopePath("acme", "e2")},
		{"other tenant", envelopePath("globex", "e1")},
		{"invalid tenant", envelopePath("ACME", "e1")},
		{"wildcard tenant", envelopePath("*", "e1")},
		{"unknown ledger", envelopePath("acme", "e2") + "/ledger"},
		{"wildcard tenant ledger", envelopePath("*", "e1") + "/ledger"},
		{"unknown route", "/v1/nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.get(t, http.MethodGet, tt.path, tokenA)
			if w.Code != http.StatusNotFound {
				t.Fatalf("status %d, want 404: %s", w.Code, w.Body)
			}
			if obj := decodeObject(t, w); len(obj) != 1 || obj["error"] == nil {
				t.Fatalf("body %s, want {\"error\":...}", w.Body)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	f := newFixture(t)
	w := f.get(t, http.MethodPost, envelopePath("acme", "e1"), tokenA)
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status %d, want 405: %s", w.Code, w.Body)
	}
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, http.MethodGet) {
		t.Fatalf("Allow %q", allow)
	}
	decodeObject(t, w)
}

func TestLedger(t *testing.T) {
	f := newFixture(t)
	const id = "odd/id ü"
	f.putRecord(t, envelope.Record{Tenant: "acme", Provider: "docusign", EnvelopeID: id, State: envelope.StateCompleted, Seq: 3})
	var want [][]byte
	want = append(want, f.appendEntry(t, "acme", id, envelope.TypeSent, nil))
	f.appendEntry(t, "acme", "other", envelope.TypeSent, nil) // another envelope
	want = append(want, f.appendEntry(t, "acme", id, envelope.TypeDelivered, nil))
	f.appendEntry(t, "globex", id, envelope.TypeSent, nil) // same id, another tenant
	want = append(want, f.appendEntry(t, "acme", id, envelope.TypeCompleted, nil))

	ledger := func(t *testing.T) (entries []json.RawMessage, verified bool) {
		t.Helper()
		w := f.get(t, http.MethodGet, envelopePath("acme", id)+"/ledger", tokenB)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		obj := decodeObject(t, w)
		if got := sortedKeys(obj); !slices.Equal(got, []string{"entries", "verified"}) {
			t.Fatalf("fields %v", got)
		}
		if err := json.Unmarshal(obj["entries"], &entries); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(obj["verified"], &verified); err != nil {
			t.Fatal(err)
		}
		return entries, verified
	}

	t.Run("intact", func(t *testing.T) {
		entries, verified := ledger(t)
		if len(entries) != len(want) {
			t.Fatalf("%d entries, want %d", len(entries), len(want))
		}
		for i := range want {
			if string(entries[i]) != string(want[i]) {
				t.Fatalf("entry %d is\n%s\nwant as published\n%s", i, entries[i], want[i])
			}
		}
		if !verified {
			t.Fatal("verified = false for an intact chain")
		}
	})
	t.Run("tampered", func(t *testing.T) {
		f.appendEntry(t, "acme", id, envelope.TypeVoided, func(e *envelope.Entry) { e.State = envelope.StateVoided })
		entries, verified := ledger(t)
		if len(entries) != len(want)+1 {
			t.Fatalf("%d entries, want %d", len(entries), len(want)+1)
		}
		if verified {
			t.Fatal("verified = true with a tampered entry in the stream")
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		if _, err := f.nats.JS.Publish(t.Context(), envelope.SubjectFilter("acme", id)[:len(envelope.SubjectFilter("acme", id))-1]+"sent", []byte("garbage{")); err != nil {
			t.Fatal(err)
		}
		entries, verified := ledger(t)
		if verified || string(entries[len(entries)-1]) != `"garbage{"` {
			t.Fatalf("verified %v, last entry %s", verified, entries[len(entries)-1])
		}
	})
}

func TestLedgerWithoutRecord(t *testing.T) {
	f := newFixture(t)
	f.appendEntry(t, "acme", "e1", envelope.TypeSent, nil)
	w := f.get(t, http.MethodGet, envelopePath("acme", "e1")+"/ledger", tokenA)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got struct {
		Entries  []json.RawMessage `json:"entries"`
		Verified bool              `json:"verified"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Entries) != 1 || !got.Verified {
		t.Fatalf("ledger %s: %v", w.Body, err)
	}
}

func TestStorageDown(t *testing.T) {
	f := newFixture(t)
	f.nats.Stop()
	for _, path := range []string{envelopePath("acme", "e1"), envelopePath("acme", "e1") + "/ledger", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			if w := f.get(t, http.MethodGet, path, tokenA); w.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503: %s", w.Code, w.Body)
			}
		})
	}
}

func TestMountedRoutes(t *testing.T) {
	n := meshtest.StartNATS(t)
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "mounted") }
	svc, err := admin.New(t.Context(), admin.Config{
		Tokens:      []string{tokenA},
		JS:          n.JS,
		Logger:      slog.New(slog.DiscardHandler),
		Mount:       func(mux *http.ServeMux) { mux.HandleFunc("GET /v1/dlq", ok) },
		MountPublic: func(mux *http.ServeMux) { mux.HandleFunc("GET /public/", ok) },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f := &fixture{svc: svc}
	tests := []struct {
		path, token string
		want        int
	}{
		{"/v1/dlq", "", http.StatusUnauthorized},
		{"/v1/dlq", tokenA, http.StatusOK},
		{"/public/page.html", "", http.StatusOK},
	}
	for _, tt := range tests {
		if w := f.get(t, http.MethodGet, tt.path, tt.token); w.Code != tt.want {
			t.Errorf("%s with token %q: status %d, want %d", tt.path, tt.token, w.Code, tt.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	n := meshtest.StartNATS(t)
	tests := []struct {
		name string
		cfg  admin.Config
		want error
	}{
		{"no tokens", admin.Config{JS: n.JS}, admin.ErrNoTokens},
		{"only empty tokens", admin.Config{JS: n.JS, Tokens: []string{""}}, admin.ErrNoTokens},
		{"no JetStream", admin.Config{Tokens: []string{tokenA}}, admin.ErrNoJetStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := admin.New(t.Context(), tt.cfg); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	n := meshtest.StartNATS(t)
	addr := meshtest.FreeAddr(t)
	svc, err := admin.New(t.Context(), admin.Config{Addr: addr, Tokens: []string{tokenA}, JS: n.JS, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	meshtest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v after shutdown", err)
		}
	case <-time.After(admin.ShutdownTimeout):
		t.Fatal("Run did not return after its context was cancelled")
	}

	noAddr, err := admin.New(t.Context(), admin.Config{Tokens: []string{tokenA}, JS: n.JS})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := noAddr.Run(t.Context()); !errors.Is(err, admin.ErrNoAddr) {
		t.Fatalf("Run without Addr = %v", err)
	}
}
