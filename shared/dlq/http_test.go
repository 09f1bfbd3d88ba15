package dlq

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/bus"
)

// contractFields are the fields CONTRACT.md gives each GET /v1/dlq entry.
var contractFields = []string{"id", "service", "tenant", "envelope_id", "subject", "error", "error_class",
	"attempts", "first_attempt_at", "last_attempt_at", "dead_at"}

func TestAPI(t *testing.T) {
	n := startBus(t)
	mux := http.NewServeMux()
	NewAPI(newTestStore(t, n), quiet).Mount(mux)
	srv := httptest.NewServer(access.Trusted(mux))
	t.Cleanup(srv.Close)
	dead := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	writeEntry(t, n.JS, entry("a", "verifier", "acme", bus.ClassPermanent, dead))
	writeEntry(t, n.JS, entry("b", "statesync", "acme", bus.ClassTransient, dead.Add(time.Hour)))

	cases := []struct {
		name, method, path, body string
		status                   int
		// want is a substring of the answer.
		want string
	}{
		{"list all", "GET", "/v1/dlq", "", 200, `"id":"a"`},
		{"list by class", "GET", "/v1/dlq?class=transient&tenant=acme&service=statesync", "", 200, `"id":"b"`},
		{"list by time", "GET", "/v1/dlq?since=2026-03-01T12:30:00Z&until=2026-03-01T13:00:00Z&limit=5", "", 200, `"id":"b"`},
		{"list nothing", "GET", "/v1/dlq?tenant=initech", "", 200, `{"entries":[]}`},
		{"bad since", "GET", "/v1/dlq?since=yesterday", "", 400, "RFC 3339"},
		{"bad limit", "GET", "/v1/dlq?limit=0", "", 400, "limit"},
		{"bad tenant", "GET", "/v1/dlq?tenant=a.b", "", 400, "tenant"},
		{"dry run by id", "POST", "/v1/replay", `{"ids":["a"],"dry_run":true}`, 200, `"matched":1,"replayed":0`},
		{"dry run by range", "POST", "/v1/replay", `{"since":"2026-03-01T00:00:00Z","tenant":"acme","dry_run":true}`, 200, `"matched":2,"replayed":0`},
		{"replay by id", "POST", "/v1/replay", `{"ids":["b"]}`, 200, `"matched":1,"replayed":1`},
		{"replayed shows", "GET", "/v1/dlq?service=statesync", "", 200, `"replayed_at":`},
		{"no double replay", "POST", "/v1/replay", `{"ids":["b"]}`, 200, `"matched":1,"replayed":0,"skipped":1`},
		{"unknown field", "POST", "/v1/replay", `{"idz":["a"]}`, 400, "unknown field"},
		{"not json", "POST", "/v1/replay", `ids=a`, 400, "request body"},
		{"ids and filters", "POST", "/v1/replay", `{"ids":["a"],"tenant":"acme"}`, 400, "not both"},
		{"bulk without since", "POST", "/v1/replay", `{"tenant":"acme"}`, 400, "since"},
		{"raw dry run", "POST", "/v1/replay/raw", `{"since":"2026-03-01T00:00:00Z","tenant":"acme","dry_run":true}`, 200, `"matched":0`},
		{"raw without since", "POST", "/v1/replay/raw", `{"tenant":"acme"}`, 400, "since"},
		{"wrong method", "PUT", "/v1/replay", `{}`, 405, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("%s %s = %d %s; want %d containing %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.want)
			}
		})
	}
}

func TestAPIEntryHasContractFields(t *testing.T) {
	n := startBus(t)
	mux := http.NewServeMux()
	NewAPI(newTestStore(t, n), quiet).Mount(mux)
	writeEntry(t, n.JS, entry("a", "verifier", "acme", bus.ClassPermanent, time.Now()))
	rec := httptest.NewRecorder()
	access.Trusted(mux).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/dlq", nil))
	var out struct {
		Entries []map[string]any `json:"entries"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Entries) != 1 {
		t.Fatalf("answer %s: %v", rec.Body, err)
	}
	for _, f := range contractFields {
		if _, ok := out.Entries[0][f]; !ok {
			t.Errorf("entry lacks %q: %v", f, out.Entries[0])
		}
	}
	if _, ok := out.Entries[0]["payload"]; ok {
		t.Errorf("entry carries the payload")
	}
}
