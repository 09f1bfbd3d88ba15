package bus_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/providers"
)

func TestRawRoundTripThroughJetStream(t *testing.T) {
	r := newRig(t, bus.Topology{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	big := bytes.Repeat([]byte{0, 0xff, '\n', 'x'}, 3<<18) // 3 MiB, binary: above NATS's default 1 MiB
	tests := []struct {
		name string
		req  providers.Request
	}{
		{"docusign json", providers.Request{
			Method: http.MethodPost,
			Header: http.Header{
				"Content-Type":             {"application/json"},
				"X-Docusign-Signature-1":   {"c2lnMQ=="},
				"X-Docusign-Signature-2":   {"c2lnMg=="},
				"Accept-Encoding":          {"gzip", "deflate"},
				"Authorization":            {"Basic c2VjcmV0"},
				"Cookie":                   {"session=1"},
				"Proxy-Authorization":      {"Basic eA=="},
				"x-lowercase-header-value": {"inner  spaced value", ""},
			},
			Query:      url.Values{"tenant": {"acme"}, "k": {"a b", "c&d"}},
			Body:       []byte(`{"event":"envelope-completed"}`),
			ReceivedAt: time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC),
		}},
		{"get without body or headers", providers.Request{
			Method: http.MethodGet, Header: http.Header{}, Query: url.Values{},
			Body: nil, ReceivedAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		}},
		{"large binary body", providers.Request{
			Method: http.MethodPost, Header: http.Header{"Content-Type": {"multipart/form-data; boundary=x"}},
			Query: url.Values{}, Body: big, ReceivedAt: time.Now().UTC(),
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject := bus.RawSubject("acme", "docusign", "env-1")
			msg := bus.EncodeRaw(subject, "acme", "docusign", "203.0.113.7:4242", &tt.req)
			if msg.Subject != subject {
				t.Fatalf("subject %q", msg.Subject)
			}
			for _, secret := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
				if _, ok := msg.Header[bus.HTTPHeaderPrefix+secret]; ok {
					t.Fatalf("%s stored", secret)
				}
			}
			ack, err := r.js.PublishMsg(ctx, msg)
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			s, err := r.js.Stream(ctx, bus.StreamRaw)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.GetMsg(ctx, ack.Sequence)
			if err != nil {
				t.Fatal(err)
			}
			m := &bus.Message{Subject: stored.Subject, Data: stored.Data, Header: stored.Header, Stream: bus.StreamRaw, StreamSeq: ack.Sequence}
			tenant, provider, remote, got, err := bus.DecodeRaw(m)
			if err != nil {
				t.Fatalf("DecodeRaw: %v", err)
			}
			if tenant != "acme" || provider != "docusign" || remote != "203.0.113.7:4242" {
				t.Fatalf("metadata %q %q %q", tenant, provider, remote)
			}
			want := tt.req
			want.Header = http.Header{}
			for k, vs := range tt.req.Header {
				ck := http.CanonicalHeaderKey(k)
				if ck != "Authorization" && ck != "Cookie" && ck != "Proxy-Authorization" {
					want.Header[ck] = vs
				}
			}
			if got.Method != want.Method || !got.ReceivedAt.Equal(want.ReceivedAt) ||
				!bytes.Equal(got.Body, want.Body) || !reflect.DeepEqual(got.Query, want.Query) {
				t.Fatalf("case %d: request differs:\n got %s %v %v (%d bytes)\nwant %s %v %v (%d bytes)", i,
					got.Method, got.ReceivedAt, got.Query, len(got.Body), want.Method, want.ReceivedAt, want.Query, len(want.Body))
			}
			if !reflect.DeepEqual(got.Header, want.Header) {
				t.Fatalf("headers:\n got %v\nwant %v", got.Header, want.Header)
			}
		})
	}
}

func TestDecodeRawRejects(t *testing.T) {
	good := func() nats.Header {
		return bus.EncodeRaw("raw.a.b", "a", "b", "", &providers.Request{Method: "POST", ReceivedAt: time.Now()}).Header
	}
	tests := []struct {
		name   string
		break_ func(nats.Header)
	}{
		{"no tenant", func(h nats.Header) { h.Del(bus.HeaderTenant) }},
		{"no provider", func(h nats.Header) { h.Del(bus.HeaderProvider) }},
		{"no method", func(h nats.Header) { h.Del(bus.HeaderMethod) }},
		{"bad time", func(h nats.Header) { h.Set(bus.HeaderReceivedAt, "yesterday") }},
		{"bad query", func(h nats.Header) { h.Set(bus.HeaderQuery, "a=%zz") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := good()
			tt.break_(h)
			if _, _, _, _, err := bus.DecodeRaw(&bus.Message{Header: h}); !errors.Is(err, bus.ErrBadRaw) {
				t.Fatalf("err %v, want ErrBadRaw", err)
			}
		})
	}
}

// FuzzRawRoundTrip checks that whatever a provider sends (as far as an
// HTTP server lets it through) survives EncodeRaw → DecodeRaw.
func FuzzRawRoundTrip(f *testing.F) {
	f.Add("POST", "X-Sig", "v1,abc", "a=1&b=2", []byte(`{"x":1}`))
	f.Add("GET", "Content-Type", "", "", []byte{})
	f.Fuzz(func(t *testing.T, method, hk, hv, rawQuery string, body []byte) {
		if method == "" || !validToken(hk) || !validValue(hv) {
			return
		}
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		req := &providers.Request{Method: method, Header: http.Header{hk: {hv}}, Query: q, Body: body, ReceivedAt: time.Unix(0, 42).UTC()}
		msg := bus.EncodeRaw("raw.t.p", "t", "p", "", req)
		_, _, _, got, err := bus.DecodeRaw(&bus.Message{Header: msg.Header, Data: msg.Data})
		if err != nil {
			t.Fatalf("DecodeRaw: %v", err)
		}
		ck := http.CanonicalHeaderKey(hk)
		wantHeader := http.Header{ck: {hv}}
		if ck == "Authorization" || ck == "Cookie" || ck == "Proxy-Authorization" {
			wantHeader = http.Header{}
		}
		if got.Method != method || !bytes.Equal(got.Body, body) || !reflect.DeepEqual(got.Header, wantHeader) ||
			got.Query.Encode() != q.Encode() || !got.ReceivedAt.Equal(req.ReceivedAt) {
			t.Fatalf("round trip differs: %+v vs %+v", got, req)
		}
	})
}

// validToken: an HTTP header name (RFC 9110 token).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`"(),/:;<=>?@[\]{}`), c) >= 0 {
			return false
		}
	}
	return true
}

// validValue: what net/http accepts as a header value (no CR, LF, NUL),
// without the surrounding whitespace it trims.
func validValue(s string) bool {
	if s != "" && (s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		return false
	}
	return !bytes.ContainsAny([]byte(s), "\r\n\x00")
}
