// Package providertest is the conformance suite every provider adapter
// passes: the same checks (authenticate → respond → parse → confirm) run
// over each adapter's fixture files, plus a fuzz target that holds every
// adapter to the same invariants on arbitrary input.
package providertest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// Case is one fixture: a request as a provider sends it (signed with the
// fixture's test secrets) and what the adapter must make of it. It is
// read from a JSON file whose fields match the json tags.
type Case struct {
	// Name defaults to the file name.
	Name   string `json:"name"`
	Tenant string `json:"tenant"`
	// Now is the receiver's clock for Authenticate.
	Now     time.Time `json:"now"`
	Request Request   `json:"request"`
	// Auth is "" (must authenticate) or "unauthenticated".
	Auth string `json:"auth"`
	// Intent says the request is a verification of intent (nothing is
	// parsed).
	Intent     bool   `json:"intent"`
	DeliveryID string `json:"delivery_id"`
	// Response is the expected answer; nil skips the check.
	Response *Response `json:"response"`
	// Parse is "" (must parse) or "malformed".
	Parse string `json:"parse"`
	// Events are expected in order; IDs, tenant, provider and source are
	// derived and checked by the suite.
	Events []Event `json:"events"`
	// RedactedQuery, when set, is what Redact must return.
	RedactedQuery url.Values `json:"redacted_query"`
}

// Request is the fixture form of providers.Request. Body is a string so
// the signed bytes are exact.
type Request struct {
	Method     string      `json:"method"`
	Header     http.Header `json:"header"`
	Query      url.Values  `json:"query"`
	Body       string      `json:"body"`
	ReceivedAt time.Time   `json:"received_at"`
}

// Response is the expected provider answer; Header lists headers that must
// be present with these values (others may be).
type Response struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header"`
	Body   string            `json:"body"`
}

// Event is an expected event. Confirm, when set, is what the adapter's
// MustConfirm must say about it.
type Event struct {
	EnvelopeID string                 `json:"envelope_id"`
	Type       envelope.Type          `json:"type"`
	Recipient  *envelope.RecipientRef `json:"recipient"`
	OccurredAt time.Time              `json:"occurred_at"`
	DeliveryID string                 `json:"delivery_id"`
	Confirm    *bool                  `json:"confirm"`
}

// ProviderRequest returns the request as an adapter sees it: header keys
// canonicalised, as net/http delivers them.
func (r Request) ProviderRequest() *providers.Request {
	h := http.Header{}
	for k, vs := range r.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	q := url.Values{}
	for k, vs := range r.Query {
		q[k] = append([]string(nil), vs...)
	}
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	return &providers.Request{Method: method, Header: h, Query: q, Body: []byte(r.Body), ReceivedAt: r.ReceivedAt}
}

// Load reads every fixture file matching pattern (e.g. "testdata/*.json"),
// failing t when there are none or one does not decode.
func Load(t testing.TB, pattern string) []Case {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatalf("providertest: bad pattern %q: %v", pattern, err)
	}
	if len(files) == 0 {
		t.Fatalf("providertest: no fixtures match %q", pattern)
	}
	cases := make([]Case, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("providertest: %v", err)
		}
		var c Case
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("providertest: %s: %v", f, err)
		}
		if c.Name == "" {
			c.Name = filepath.Base(f)
		}
		cases = append(cases, c)
	}
	return cases
}
