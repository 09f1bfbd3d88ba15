package sandbox

import (
	"encoding/json"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/shared/envelope"
)

const (
	dsToken    = "ds-token"
	adobeToken = "adobe-token"
	esawToken  = "esaw-api-token"
)

// apiFixture serves the API for settled envelopes of every kind.
func apiFixture(t *testing.T, mod func(*APIConfig)) (*Sandbox, *httptest.Server, []*Envelope) {
	t.Helper()
	api := APIConfig{DocuSignToken: dsToken, AdobeToken: adobeToken, ESignAnyWhereToken: esawToken}
	if mod != nil {
		mod(&api)
	}
	s := newTestSandbox(t, "", func(c *Config) { c.API = api })
	envs := Generate(rand.New(rand.NewSource(21)), 50, nil, "acme")
	if err := s.Settle(envs); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.APIHandler())
	t.Cleanup(srv.Close)
	return s, srv, envs
}

// get calls the API; auth is "bearer:x", "basic:x", "apiToken:x" or "".
func get(t *testing.T, method, u, auth, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	kind, val, _ := strings.Cut(auth, ":")
	switch kind {
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+val)
	case "basic":
		req.SetBasicAuth(val, "")
	case "apiToken":
		req.Header.Set("apiToken", val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return m
}

func byKind(envs []*Envelope, kind string) []*Envelope {
	var out []*Envelope
	for _, e := range envs {
		if e.Provider == kind {
			out = append(out, e)
		}
	}
	return out
}

var sevenDigits = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`)

func TestAPIDocuSignListStatusChangesPages(t *testing.T) {
	_, srv, envs := apiFixture(t, nil)
	want := len(byKind(envs, KindDocuSign))
	base := srv.URL + "/restapi/v2.1/accounts/" + DefaultDocuSignAcct
	next := "/envelopes?" + url.Values{"from_date": {"2000-01-01T00:00:00Z"}, "count": {"3"}}.Encode()
	seen := map[string]bool{}
	for pages := 0; next != ""; pages++ {
		if pages > want {
			t.Fatal("paging does not end")
		}
		code, _, b := get(t, http.MethodGet, base+next, "bearer:"+dsToken, "")
		if code != http.StatusOK {
			t.Fatalf("list: %d %s", code, b)
		}
		m := decode(t, b)
		for _, f := range []string{"resultSetSize", "startPosition", "endPosition", "totalSetSize"} {
			if _, ok := m[f].(string); !ok {
				t.Fatalf("%s is not a JSON string: %s", f, b)
			}
		}
		if m["totalSetSize"] != itoa(want) {
			t.Fatalf("totalSetSize %v, want %d", m["totalSetSize"], want)
		}
		for _, raw := range m["envelopes"].([]any) {
			e := raw.(map[string]any)
			seen[e["envelopeId"].(string)] = true
			if !sevenDigits.MatchString(e["statusChangedDateTime"].(string)) {
				t.Fatalf("statusChangedDateTime %q lacks 7 fractional digits", e["statusChangedDateTime"])
			}
		}
		next, _ = m["nextUri"].(string)
	}
	if len(seen) != want {
		t.Fatalf("paged through %d envelopes, want %d", len(seen), want)
	}
	// A from_date after every change lists nothing; none at all is a 400.
	code, _, b := get(t, http.MethodGet, base+"/envelopes?from_date=2999-01-01", "bearer:"+dsToken, "")
	if code != http.StatusOK || decode(t, b)["totalSetSize"] != "0" {
		t.Fatalf("future from_date: %d %s", code, b)
	}
	if code, _, _ := get(t, http.MethodGet, base+"/envelopes", "bearer:"+dsToken, ""); code != http.StatusBadRequest {
		t.Fatalf("no from_date: %d", code)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestAPIStatusesFollowTheTruth(t *testing.T) {
	_, srv, envs := apiFixture(t, nil)
	status := map[string]func(envelope.State) string{
		KindDocuSign:      docuSignStatus,
		KindAdobeSign:     adobeStatus,
		KindESignAnyWhere: esawStatus,
	}
	for _, e := range envs {
		var code int
		var b []byte
		var field string
		switch e.Provider {
		case KindDocuSign:
			code, _, b = get(t, http.MethodGet, srv.URL+"/restapi/v2.1/accounts/"+DefaultDocuSignAcct+"/envelopes/"+e.ID, "bearer:"+dsToken, "")
			field = "status"
		case KindAdobeSign:
			code, _, b = get(t, http.MethodGet, srv.URL+"/api/rest/v6/agreements/"+e.ID, "bearer:"+adobeToken, "")
			field = "status"
		case KindESignAnyWhere:
			code, _, b = get(t, http.MethodGet, srv.URL+"/v6/envelope/"+e.ID, "apiToken:"+esawToken, "")
			field = "EnvelopeStatus"
		case KindDropboxSign:
			code, _, b = get(t, http.MethodGet, srv.URL+"/v3/signature_request/"+e.ID, "basic:"+testSecrets.DropboxAPIKey, "")
			if e.Truth == envelope.StateVoided {
				if code != http.StatusGone {
					t.Fatalf("canceled request: %d", code)
				}
				continue
			}
			sr := decode(t, b)["signature_request"].(map[string]any)
			if sr["is_complete"] != (e.Truth == envelope.StateCompleted) || sr["is_declined"] != (e.Truth == envelope.StateDeclined) {
				t.Fatalf("%s: %s for truth %s", e.ID, b, e.Truth)
			}
			continue
		default:
			continue
		}
		if code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", e.Provider, e.ID, code, b)
		}
		if got, want := decode(t, b)[field], status[e.Provider](e.Truth); got != want {
			t.Fatalf("%s %s: %s %v, want %s (truth %s)", e.Provider, e.ID, field, got, want, e.Truth)
		}
	}
}

func TestAPIUnknownAndUnauthorized(t *testing.T) {
	_, srv, envs := apiFixture(t, nil)
	ds := byKind(envs, KindDocuSign)[0].ID
	tests := []struct {
		name, method, path, auth, body string
		code                           int
		errField, errValue             string
	}{
		{"docusign unknown", "GET", "/restapi/v2.1/accounts/" + DefaultDocuSignAcct + "/envelopes/nope", "bearer:" + dsToken, "", 404, "errorCode", "ENVELOPE_DOES_NOT_EXIST"},
		{"docusign no token", "GET", "/restapi/v2.1/accounts/" + DefaultDocuSignAcct + "/envelopes/" + ds, "", "", 401, "", ""},
		{"docusign other account", "GET", "/restapi/v2.1/accounts/other/envelopes/" + ds, "bearer:" + dsToken, "", 400, "errorCode", "ACCOUNT_LACKS_PERMISSIONS"},
		{"dropbox wrong key", "GET", "/v3/signature_request/list", "basic:wrong", "", 401, "", ""},
		{"dropbox page too big", "GET", "/v3/signature_request/list?page_size=101", "basic:" + testSecrets.DropboxAPIKey, "", 400, "", ""},
		{"adobe unknown", "GET", "/api/rest/v6/agreements/CBJCHBCAABAAnope", "bearer:" + adobeToken, "", 404, "code", "INVALID_AGREEMENT_ID"},
		{"adobe no token", "GET", "/api/rest/v6/agreements/x", "", "", 401, "", ""},
		{"esaw unknown", "GET", "/v6/envelope/00000000-0000-0000-0000-000000000000", "apiToken:" + esawToken, "", 404, "ErrorId", "ERR0007"},
		{"esaw wrong token", "GET", "/v6/envelope/x", "apiToken:bad", "", 401, "", ""},
		{"esaw delete without id", "POST", "/v6/envelope/delete", "apiToken:" + esawToken, "{}", 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, b := get(t, tt.method, srv.URL+tt.path, tt.auth, tt.body)
			if code != tt.code {
				t.Fatalf("%d %s, want %d", code, b, tt.code)
			}
			if tt.errField != "" && decode(t, b)[tt.errField] != tt.errValue {
				t.Fatalf("answer %s, want %s=%s", b, tt.errField, tt.errValue)
			}
		})
	}
}

func TestAPIDocumentsAndDelete(t *testing.T) {
	_, srv, envs := apiFixture(t, nil)
	ds := byKind(envs, KindDocuSign)[0].ID
	for _, doc := range []string{"combined", "certificate"} {
		code, h, b := get(t, "GET", srv.URL+"/restapi/v2.1/accounts/"+DefaultDocuSignAcct+"/envelopes/"+ds+"/documents/"+doc, "bearer:"+dsToken, "")
		if code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(b), "%PDF-") {
			t.Fatalf("docusign %s: %d %s %q", doc, code, h.Get("Content-Type"), b)
		}
	}
	id := byKind(envs, KindESignAnyWhere)[0].ID
	code, _, b := get(t, "GET", srv.URL+"/v6/envelope/"+id+"/files", "apiToken:"+esawToken, "")
	if code != 200 {
		t.Fatalf("files: %d %s", code, b)
	}
	var files struct {
		Documents []struct {
			FileID string `json:"FileId"`
		}
		AuditTrail struct {
			FileID string `json:"FileId"`
		}
		LegalDocuments []struct {
			FileID string `json:"FileId"`
		}
	}
	if err := json.Unmarshal(b, &files); err != nil || len(files.Documents) != 1 || files.AuditTrail.FileID == "" || len(files.LegalDocuments) != 1 {
		t.Fatalf("files %s: %v", b, err)
	}
	for _, f := range []string{files.Documents[0].FileID, files.AuditTrail.FileID, files.LegalDocuments[0].FileID} {
		if code, _, b := get(t, "GET", srv.URL+"/v6/file/"+f, "apiToken:"+esawToken, ""); code != 200 || !strings.HasPrefix(string(b), "%PDF-") {
			t.Fatalf("file %s: %d %q", f, code, b)
		}
	}
	if code, _, b := get(t, "POST", srv.URL+"/v6/envelope/delete", "apiToken:"+esawToken, `{"EnvelopeId":"`+id+`"}`); code != 200 {
		t.Fatalf("delete: %d %s", code, b)
	}
	if code, _, _ := get(t, "GET", srv.URL+"/v6/envelope/"+id, "apiToken:"+esawToken, ""); code != 404 {
		t.Fatalf("deleted envelope: %d", code)
	}
}

func TestAPIDropboxListPages(t *testing.T) {
	_, srv, envs := apiFixture(t, nil)
	want := 0
	for _, e := range byKind(envs, KindDropboxSign) {
		if e.Truth != envelope.StateVoided {
			want++
		}
	}
	seen := map[string]bool{}
	for page := 1; ; page++ {
		code, _, b := get(t, "GET", srv.URL+"/v3/signature_request/list?page_size=4&page="+itoa(page), "basic:"+testSecrets.DropboxAPIKey, "")
		if code != 200 {
			t.Fatalf("list: %d %s", code, b)
		}
		m := decode(t, b)
		info := m["list_info"].(map[string]any)
		if info["num_results"] != float64(want) {
			t.Fatalf("num_results %v, want %d", info["num_results"], want)
		}
		for _, r := range m["signature_requests"].([]any) {
			seen[r.(map[string]any)["signature_request_id"].(string)] = true
		}
		if float64(page) >= info["num_pages"].(float64) {
			break
		}
	}
	if len(seen) != want {
		t.Fatalf("listed %d, want %d", len(seen), want)
	}
}

func TestAPIRateFaults(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*APIConfig)
		code int
	}{
		{"429", func(a *APIConfig) { a.Rate429Pct = 1 }, http.StatusTooManyRequests},
		{"503", func(a *APIConfig) { a.Rate5xxPct = 1 }, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv, envs := apiFixture(t, tt.mod)
			code, h, _ := get(t, "GET", srv.URL+"/v6/envelope/"+byKind(envs, KindESignAnyWhere)[0].ID, "apiToken:"+esawToken, "")
			if code != tt.code || h.Get("Retry-After") == "" {
				t.Fatalf("%d Retry-After %q, want %d", code, h.Get("Retry-After"), tt.code)
			}
		})
	}
}

func TestAPIShowsOnlyWhatHappened(t *testing.T) {
	s := newTestSandbox(t, "", nil)
	e := Generate(rand.New(rand.NewSource(22)), 1, []string{KindESignAnyWhere}, "acme")[0]
	if err := s.Register([]*Envelope{e}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.APIHandler())
	t.Cleanup(srv.Close)
	if code, _, _ := get(t, "GET", srv.URL+"/v6/envelope/"+e.ID, "", ""); code != 404 {
		t.Fatalf("before the first step: %d", code)
	}
	s.markHappened(e, 0)
	code, _, b := get(t, "GET", srv.URL+"/v6/envelope/"+e.ID, "", "")
	if code != 200 || decode(t, b)["EnvelopeStatus"] != "Active" {
		t.Fatalf("after sending: %d %s", code, b)
	}
	if x := s.Truth()[e.Key()]; x.State != envelope.StateSent || x.Happened != 1 || x.WebhookComplete {
		t.Fatalf("truth after one step never delivered: %+v", x)
	}
}
