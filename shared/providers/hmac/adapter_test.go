package hmac_test

import (
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/hmac"
	"github.com/countersign/countersign/shared/providers/providertest"
	_ "github.com/countersign/countersign/shared/providers/registry" // config checks providers through their kinds
)

// presets loads testdata/presets.yaml (the README's presets) through the
// config package, as countersign does, and returns each provider's spec
// by name.
func presets(t testing.TB) map[string]hmac.Spec {
	t.Helper()
	f, err := config.Load(filepath.Join("testdata", "presets.yaml"))
	if err != nil {
		t.Fatalf("presets: %v", err)
	}
	out := map[string]hmac.Spec{}
	for i := range f.Tenants[0].Providers {
		p := &f.Tenants[0].Providers[i]
		out[p.ID()] = hmac.SpecOf(p)
	}
	return out
}

func preset(t testing.TB, name string) *hmac.Adapter {
	t.Helper()
	s, ok := presets(t)[name]
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	a, err := hmac.New(s)
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	return a
}

// TestConformance runs each preset through the suite every adapter
// passes, with fixtures whose signatures Python's hmac computed.
func TestConformance(t *testing.T) {
	for _, name := range []string{"pandadoc", "esignly", "boldsign"} {
		t.Run(name, func(t *testing.T) {
			a := preset(t, name)
			if a.Kind() != name {
				t.Errorf("Kind = %q, want the configured name %q", a.Kind(), name)
			}
			providertest.Run(t, a, providertest.Load(t, filepath.Join("testdata", name, "*.json"))...)
		})
	}
}

// TestSignVectors holds Sign to signatures computed independently with
// Python's hmac and hashlib (README "Generic HMAC providers").
func TestSignVectors(t *testing.T) {
	ps := presets(t)
	pdBody := `[{"event":"document_state_changed","data":{"id":"msFYActMfJHqNTKH8YSvF1","name":"Sample","status":"document.completed","date_created":"2026-11-20T10:00:00.000000Z","date_modified":"2026-11-22T07:03:00.123456Z"}},{"event":"recipient_completed","data":{"id":"msFYActMfJHqNTKH8YSvF1","status":"document.completed","date_modified":"2026-11-22T07:02:59.000000Z","action_by":{"email":"signer@acme.example"}}}]`
	esBody := `{"event":"document.completed","event_id":"evt_01JD3M2Q","document":{"id":"ESL-1001","updated_at":"2026-11-22T07:03:00Z"},"signer":{"email":"cfo@acme.example"}}`
	bsBody := `{"event":{"id":"4a6c1b3e-evt","eventType":"Completed","created":1795330990},"data":{"object":"document","documentId":"9f8e7d6c-doc","status":"Completed"}}`
	other := func(alg, enc string) hmac.Spec {
		return hmac.Spec{Name: "other", Secrets: []string{"k1"}, Signature: hmac.SignatureSpec{From: "header:X-Sig", Algorithm: alg, Encoding: enc},
			Events: hmac.EventsSpec{Type: "/t", EnvelopeID: "/id", OccurredAt: "/at"}, Types: map[string]string{"x": "sent"}}
	}
	tests := []struct {
		name   string
		spec   hmac.Spec
		header http.Header
		body   string
		want   string
	}{
		{"pandadoc", ps["pandadoc"], nil, pdBody, "10b3c580a1adf8b3c27525d4aa2f2ffe2daca4149aa5bf05910fe4a1d2b13304"},
		{"esignly", ps["esignly"], nil, esBody, "sha256=1cd18679160d95b1a99c92e3aaab814b18bff3a7c48e9e2ee4c9df6d422b8a4d"},
		{"boldsign", ps["boldsign"], nil, bsBody, "a9a17c5de02a0974d44e3f87f749363468eb24c45ef6315cf4bd39e96dd97b18"},
		{"sha1 base64", other("sha1", "base64"), nil, `{"a":1}`, "shSMg3EoB/7ppUska2NH2lgELUU="},
		{"sha512 hex", other("sha512", "hex"), nil, `{"a":1}`, "ad3752da0e0506946c3ad9cf2168e8de3a76ae460fde9ecf8ea1b67fcd3221537bc9321b8e5f8f3058895381b647e741973622ba8b7ba3d29b52cfa5d7898433"},
		{"sha512 base64", other("sha512", "base64"), nil, `{"a":1}`, "rTdS2g4FBpRsOtnPIWjo3jp2rkYP3p7PjqG2f80yIVN7yTIbjl+PMFiJU4G2R+dBlzYiuot7o9KbUs+l14mEMw=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hmac.Sign(tt.spec, tt.header, []byte(tt.body), "1795331000")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Sign = %q, want %q", got, tt.want)
			}
			// What Sign makes, Authenticate accepts.
			a, err := hmac.New(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			req := &providers.Request{Method: http.MethodPost, Header: http.Header{}, Query: url.Values{}, Body: []byte(tt.body)}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			l, _ := hmac.ParseLocation(tt.spec.Signature.From)
			switch {
			case tt.spec.Signature.Param != "":
				// BoldSign: the timestamp and the signature share a header.
				req.Header.Set(l.Name, "t=1795331000, "+tt.spec.Signature.Param+"="+got)
			case l.Query:
				req.Query.Set(l.Name, got)
			default:
				req.Header.Set(l.Name, got)
			}
			if err := a.Authenticate(req, time.Unix(1795331000, 0)); err != nil {
				t.Errorf("Authenticate: %v", err)
			}
		})
	}
	timed := ps["esignly"]
	timed.Signed = "{header:X-Ts}.{body}"
	if _, err := hmac.Sign(timed, http.Header{}, []byte(bsBody), ""); err == nil {
		t.Error("Sign without the signed header succeeded")
	}
}

// TestAuthenticate covers what the fixtures do not: base64 signatures in
// a query string (where "+" arrives as a space), several signature values,
// unpadded base64, RFC 3339 timestamps and the tolerance edges.
func TestAuthenticate(t *testing.T) {
	body := []byte(`{"t":"x","id":"e","at":"2026-11-22T07:00:00Z"}`)
	spec := func(from, enc string, ts *hmac.TimestampSpec, signed string) hmac.Spec {
		return hmac.Spec{Name: "p", Secrets: []string{"base64:c2VjcmV0", "old"}, Signed: signed, Timestamp: ts,
			Signature: hmac.SignatureSpec{From: from, Encoding: enc},
			Events:    hmac.EventsSpec{Type: "/t", EnvelopeID: "/id", OccurredAt: "/at"}, Types: map[string]string{"x": "sent"}}
	}
	now := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	tsHeader := func(v string) http.Header { return http.Header{"X-Ts": {v}} }
	sign := func(s hmac.Spec, h http.Header) string {
		sig, err := hmac.Sign(s, h, body, "")
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	b64q := spec("query:sig", "base64", nil, "")
	b64sig := sign(b64q, nil)
	timed := spec("header:X-Sig", "hex", &hmac.TimestampSpec{From: "header:X-Ts", Tolerance: time.Minute}, "{header:X-Ts}.{body}")
	queryTS := spec("header:X-Sig", "hex", &hmac.TimestampSpec{From: "query:ts"}, "")
	tests := []struct {
		name   string
		spec   hmac.Spec
		header http.Header
		query  url.Values
		ok     bool
	}{
		{"base64 in query", b64q, nil, url.Values{"sig": {b64sig}}, true},
		{"base64 in query, + as space", b64q, nil, url.Values{"sig": {replacePlus(b64sig)}}, true},
		{"base64 unpadded", b64q, nil, url.Values{"sig": {trimPad(b64sig)}}, true},
		{"one of several values", spec("header:X-Sig", "hex", nil, ""), http.Header{"X-Sig": {"00", "zz", sign(spec("header:X-Sig", "hex", nil, ""), nil)}}, nil, true},
		{"empty signature", spec("header:X-Sig", "hex", nil, ""), http.Header{"X-Sig": {""}}, nil, false},
		{"unix timestamp within tolerance", timed, withSig(tsHeader("1795330800"), sign(timed, tsHeader("1795330800"))), nil, true},
		{"rfc3339 timestamp", timed, withSig(tsHeader("2026-11-22T07:00:30Z"), sign(timed, tsHeader("2026-11-22T07:00:30Z"))), nil, true},
		{"timestamp at the edge", timed, withSig(tsHeader("2026-11-22T06:59:00Z"), sign(timed, tsHeader("2026-11-22T06:59:00Z"))), nil, true},
		{"timestamp past the edge", timed, withSig(tsHeader("2026-11-22T06:58:59Z"), sign(timed, tsHeader("2026-11-22T06:58:59Z"))), nil, false},
		{"timestamp in the future", timed, withSig(tsHeader("2026-11-22T07:01:01Z"), sign(timed, tsHeader("2026-11-22T07:01:01Z"))), nil, false},
		{"signed timestamp, sign-prefixed", timed, withSig(tsHeader("+1795330800"), sign(timed, tsHeader("+1795330800"))), nil, false},
		{"timestamp in query, default tolerance", queryTS, http.Header{"X-Sig": {sign(queryTS, nil)}}, url.Values{"ts": {"1795330500"}}, true},
		{"timestamp in query, too old", queryTS, http.Header{"X-Sig": {sign(queryTS, nil)}}, url.Values{"ts": {"1795330400"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := hmac.New(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			for k, v := range tt.header {
				h[k] = v
			}
			err = a.Authenticate(&providers.Request{Method: http.MethodPost, Header: h, Query: tt.query, Body: body}, now)
			if tt.ok && err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if !tt.ok && !errors.Is(err, providers.ErrUnauthenticated) {
				t.Fatalf("Authenticate = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

func withSig(h http.Header, sig string) http.Header {
	h.Set("X-Sig", sig)
	return h
}

func replacePlus(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '+' {
			b[i] = ' '
		}
	}
	return string(b)
}

func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// TestTwoProvidersOneTenant: each configured name is its own provider,
// with its own events' provider and semantic ids.
func TestTwoProvidersOneTenant(t *testing.T) {
	ps := presets(t)
	a, err := hmac.New(ps["esignly"])
	if err != nil {
		t.Fatal(err)
	}
	other := ps["esignly"]
	other.Name = "esignly-eu"
	b, err := hmac.New(other)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"event":"document.sent","event_id":"e1","document":{"id":"D","updated_at":"2026-11-22T07:00:00Z"}}`)
	req := &providers.Request{Method: http.MethodPost, Header: http.Header{}, Body: body}
	ea, err := a.Parse("acme", req)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := b.Parse("acme", req)
	if err != nil {
		t.Fatal(err)
	}
	if ea[0].Provider != "esignly" || eb[0].Provider != "esignly-eu" || ea[0].ID == eb[0].ID {
		t.Errorf("providers %q, %q and ids %q, %q: want each name its own provider and id", ea[0].Provider, eb[0].Provider, ea[0].ID, eb[0].ID)
	}
}

// The fuzz targets hold each preset to the invariants every adapter keeps
// (providertest.Exercise), seeded with its fixtures.
func FuzzPandaDoc(f *testing.F) {
	f.Add("POST", "", "signature=00", []byte(`[{"event":1,"data":{"id":[],"date_modified":99999999999999999999}},{"event":"recipient_completed","data":{"id":"~1","date_modified":"1","action_by":{"email":null}}}]`), int64(1))
	fuzzPreset(f, "pandadoc")
}

func FuzzESignly(f *testing.F) {
	f.Add("POST", "X-Esignly-Signature: sha256=\nX-Esignly-Signature: sha256=zz", "", []byte(`{"event":"document.viewed","document":{"id":1e400,"updated_at":253402300800}}`), int64(0))
	fuzzPreset(f, "esignly")
}

func FuzzBoldSign(f *testing.F) {
	f.Add("POST", "X-BoldSign-Signature: t=1, s0=zz,s0=,=x,,t=\nX-BoldSign-Signature: t=99999999999999999999", "", []byte(`{"event":{"eventType":"Completed","created":-1},"data":{"documentId":"x"}}`), int64(1))
	fuzzPreset(f, "boldsign")
}

func fuzzPreset(f *testing.F, name string) {
	providertest.Fuzz(f, preset(f, name), providertest.Load(f, filepath.Join("testdata", name, "*.json"))...)
}

// TestParseGoesThroughTheEdgeLimits: ids from a body go through the same
// limits as every adapter's (providers.NewEvent): too long or not UTF-8
// is malformed, never passed on to become a subject.
func TestParseGoesThroughTheEdgeLimits(t *testing.T) {
	a := preset(t, "esignly")
	for name, id := range map[string]string{"long": strings.Repeat("x", 5000), "not utf-8": "ESL-\xff", "an escaped newline": `ESL-1\n`} {
		// Written by hand: encoding/json would rewrite the bad byte.
		body := []byte(`{"event":"document.sent","document":{"id":"` + id + `","updated_at":"2026-11-22T07:00:00Z"}}`)
		_, err := a.Parse("acme", &providers.Request{Method: http.MethodPost, Header: http.Header{}, Body: body})
		if !errors.Is(err, providers.ErrMalformed) {
			t.Errorf("%s envelope id: Parse = %v, want ErrMalformed", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "xxxxxxxx") {
			t.Errorf("%s envelope id: the error quotes the body: %.80s", name, err)
		}
	}
}
