package admin_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/services/admin"
	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/audit"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/dlq"
	"github.com/countersign/countersign/shared/meshtest"
)

const (
	rootToken    = "root-token-secret"
	acmeReader   = "acme-reader-secret"
	acmeOperator = "acme-operator-secret"
)

// scopedServer is the admin API over the whole topology with three
// tokens: unrestricted operate, acme read, acme operate. It mounts the
// real DLQ routes (tenant in the query or body) and an action with the
// tenant in its path, as the notify and export routes have.
func scopedServer(t *testing.T) (*httptest.Server, *meshtest.NATS) {
	t.Helper()
	n := meshtest.StartNATS(t)
	if err := bus.Setup(t.Context(), n.JS, bus.Topology{}); err != nil {
		t.Fatal(err)
	}
	store, err := dlq.NewStore(dlq.StoreConfig{JS: n.JS})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	svc, err := admin.New(t.Context(), admin.Config{
		JS: n.JS, Logger: quiet,
		Access: access.NewHolder(access.NewSet([]access.Token{
			{Name: "root", Secret: rootToken},
			{Name: "acme-viewer", Secret: acmeReader, Tenants: []string{"acme"}, Role: access.RoleRead},
			{Name: "acme-ops", Secret: acmeOperator, Tenants: []string{"acme"}, Role: access.RoleOperate},
		})),
		Mount: func(mux *http.ServeMux) {
			dlq.NewAPI(store, quiet).Mount(mux)
			mux.HandleFunc("POST /v1/tenants/{tenant}/notify/resume", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusAccepted)
			})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return srv, n
}

func call(t *testing.T, srv *httptest.Server, token, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestScopedTokensPerRouteKind(t *testing.T) {
	srv, _ := scopedServer(t)
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name, token, method, path, body string
		want                            int
	}{
		// No token, a wrong token: 401 on every kind of route.
		{"envelope, no token", "", "GET", "/v1/tenants/acme/envelopes/e1", "", 401},
		{"replay, wrong token", "nope", "POST", "/v1/replay", `{"ids":["x"]}`, 401},
		{"audit, no token", "", "GET", "/v1/audit", "", 401},
		// Path tenant (envelope reads, tenant actions).
		{"read own envelope", acmeReader, "GET", "/v1/tenants/acme/envelopes/e1", "", 404},
		{"read other tenant's envelope", acmeReader, "GET", "/v1/tenants/globex/envelopes/e1", "", 403},
		{"read other tenant's ledger", acmeOperator, "GET", "/v1/tenants/globex/envelopes/e1/ledger", "", 403},
		{"escaped other tenant", acmeReader, "GET", "/v1/tenants/glob%65x/envelopes/e1", "", 403},
		{"root reads any tenant", rootToken, "GET", "/v1/tenants/globex/envelopes/e1", "", 404},
		{"read token acts", acmeReader, "POST", "/v1/tenants/acme/notify/resume", "", 403},
		{"operate token acts on own", acmeOperator, "POST", "/v1/tenants/acme/notify/resume", "", 202},
		{"operate token acts on other", acmeOperator, "POST", "/v1/tenants/globex/notify/resume", "", 403},
		// Query tenant (DLQ list).
		{"scoped DLQ list without tenant", acmeReader, "GET", "/v1/dlq", "", 403},
		{"scoped DLQ list of own tenant", acmeReader, "GET", "/v1/dlq?tenant=acme", "", 200},
		{"scoped DLQ list of other tenant", acmeReader, "GET", "/v1/dlq?tenant=globex", "", 403},
		{"root DLQ list", rootToken, "GET", "/v1/dlq", "", 200},
		// Body tenant (replays).
		{"read token replays", acmeReader, "POST", "/v1/replay", `{"ids":["x"],"dry_run":true}`, 403},
		{"read token raw replay", acmeReader, "POST", "/v1/replay/raw", `{"since":"` + since + `","tenant":"acme","dry_run":true}`, 403},
		{"operate bulk replay of other tenant", acmeOperator, "POST", "/v1/replay", `{"since":"` + since + `","tenant":"globex","dry_run":true}`, 403},
		{"operate bulk replay without tenant", acmeOperator, "POST", "/v1/replay", `{"since":"` + since + `","dry_run":true}`, 403},
		{"operate bulk replay of own tenant", acmeOperator, "POST", "/v1/replay", `{"since":"` + since + `","tenant":"acme","dry_run":true}`, 200},
		{"operate raw replay of other tenant", acmeOperator, "POST", "/v1/replay/raw", `{"since":"` + since + `","tenant":"globex","dry_run":true}`, 403},
		// Unrestricted-only routes.
		{"scoped token profiles", acmeOperator, "GET", "/debug/pprof/", "", 403},
		{"root profiles", rootToken, "GET", "/debug/pprof/", "", 200},
		// The audit trail is a read.
		{"read token reads audit", acmeReader, "GET", "/v1/audit", "", 200},
		{"read token reads other tenant's audit", acmeReader, "GET", "/v1/audit?tenant=globex", "", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := call(t, srv, c.token, c.method, c.path, c.body)
			if code != c.want {
				t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, code, body, c.want)
			}
			if code == 403 && !strings.Contains(body, `"error"`) {
				t.Fatalf("403 without a JSON error: %s", body)
			}
		})
	}
}

// A scoped operator replaying by id touches only its tenants' entries:
// another tenant's id reads as unknown.
func TestScopedReplayByID(t *testing.T) {
	srv, n := scopedServer(t)
	now := time.Now().UTC()
	for _, tenant := range []string{"acme", "globex"} {
		dl := bus.DeadLetter{
			ID: "dl-" + tenant, Service: "statesync", Tenant: tenant, EnvelopeID: "e",
			Subject: bus.StateSubject(tenant, "e"), Error: "boom", ErrorClass: bus.ClassPermanent, Attempts: 1,
			FirstAttemptAt: now, LastAttemptAt: now, DeadAt: now, Stream: bus.StreamState, StreamSeq: 1,
			Payload: []byte(`{}`),
		}
		data, _ := json.Marshal(dl)
		if _, err := n.JS.Publish(t.Context(), bus.DLQSubject(dl.Service, tenant), data); err != nil {
			t.Fatal(err)
		}
	}
	code, body := call(t, srv, acmeOperator, "POST", "/v1/replay", `{"ids":["dl-acme","dl-globex"],"dry_run":true}`)
	var res dlq.Result
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil {
		t.Fatalf("replay = %d %s", code, body)
	}
	if res.Matched != 1 || len(res.NotFound) != 1 || res.NotFound[0] != "dl-globex" {
		t.Fatalf("scoped replay = %+v, want acme's entry only", res)
	}
	code, body = call(t, srv, rootToken, "POST", "/v1/replay", `{"ids":["dl-acme","dl-globex"],"dry_run":true}`)
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil || res.Matched != 2 {
		t.Fatalf("root replay = %d %s", code, body)
	}
}

// Every action is in the audit trail with the token's name, never the
// token; a scoped token reads only its tenants' records.
func TestAuditTrail(t *testing.T) {
	srv, _ := scopedServer(t)
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if code, body := call(t, srv, acmeOperator, "POST", "/v1/tenants/acme/notify/resume", ""); code != 202 {
		t.Fatalf("resume = %d %s", code, body)
	}
	if code, body := call(t, srv, rootToken, "POST", "/v1/replay", `{"since":"`+since+`","tenant":"globex","dry_run":true}`); code != 200 {
		t.Fatalf("replay = %d %s", code, body)
	}
	if code, body := call(t, srv, acmeReader, "GET", "/v1/dlq?tenant=acme", ""); code != 200 {
		t.Fatalf("list = %d %s", code, body)
	}
	// Refused attempts of known tokens are recorded too; unknown tokens are not.
	if code, _ := call(t, srv, acmeReader, "POST", "/v1/tenants/acme/notify/resume", ""); code != 403 {
		t.Fatalf("read token acting = %d", code)
	}
	if code, _ := call(t, srv, acmeOperator, "GET", "/v1/tenants/globex/envelopes/e1", ""); code != 403 {
		t.Fatalf("other tenant = %d", code)
	}
	if code, _ := call(t, srv, "unknown-token", "POST", "/v1/replay", `{}`); code != 401 {
		t.Fatalf("unknown token = %d", code)
	}
	read := func(token, query string) []audit.Record {
		code, body := call(t, srv, token, "GET", "/v1/audit"+query, "")
		var out struct {
			Records []audit.Record `json:"records"`
		}
		if err := json.Unmarshal([]byte(body), &out); code != 200 || err != nil {
			t.Fatalf("audit = %d %s", code, body)
		}
		for _, secret := range []string{rootToken, acmeOperator, acmeReader} {
			if strings.Contains(body, secret) {
				t.Fatalf("audit trail holds a token: %s", body)
			}
		}
		return out.Records
	}
	all := read(rootToken, "")
	if len(all) != 4 {
		t.Fatalf("root sees %d records, want 4 (2 actions, 2 refusals; allowed reads and 401s are not recorded): %+v", len(all), all)
	}
	r0, r1 := all[0], all[1]
	if d := all[2]; d.Token != "acme-viewer" || d.Status != 403 || d.Action != "POST /v1/tenants/{tenant}/notify/resume" || !strings.Contains(d.Denied, "role read") {
		t.Fatalf("refusal record = %+v", d)
	}
	if d := all[3]; d.Token != "acme-ops" || d.Status != 403 || d.Action != "GET /v1/tenants/{tenant}/envelopes/{id}" || !strings.Contains(d.Denied, "tenant globex") {
		t.Fatalf("refusal record = %+v", d)
	}
	if r0.Token != "acme-ops" || r0.Action != "POST /v1/tenants/{tenant}/notify/resume" || r0.Tenant != "acme" || r0.Status != 202 || r0.At.IsZero() {
		t.Fatalf("first record = %+v", r0)
	}
	if r1.Token != "root" || r1.Action != "POST /v1/replay" || r1.Tenant != "globex" || r1.Status != 200 ||
		!strings.Contains(string(r1.Request), `"dry_run":true`) {
		t.Fatalf("second record = %+v", r1)
	}
	if got := read(acmeReader, ""); len(got) != 1 || got[0].Tenant != "acme" {
		t.Fatalf("acme's reader sees %+v, want acme's record only", got)
	}
}
