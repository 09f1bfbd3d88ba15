package bus

import (
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/countersign/countersign/shared/providers"
)

// Raw callback header names. The body is the message data as is (no
// base64: bodies reach 10 MiB); everything else travels in headers.
const (
	HeaderMethod     = "Cs-Method"
	HeaderQuery      = "Cs-Query"
	HeaderReceivedAt = "Cs-Received-At"
	HeaderRemoteAddr = "Cs-Remote-Addr"
	// HTTPHeaderPrefix prefixes each stored request header:
	// Http-<Canonical-Name>.
	HTTPHeaderPrefix = "Http-"
)

// secretHeaders are never stored: they carry credentials, and the
// providers countersign verifies sign the body, not these.
var secretHeaders = map[string]bool{
	"Authorization":       true,
	"Cookie":              true,
	"Proxy-Authorization": true,
}

// EncodeRaw returns the RAW message for a callback received from
// remoteAddr: the body as data, method, query (req.Query, which the caller
// has already redacted), receive time and every request header except
// Authorization, Cookie and Proxy-Authorization as headers. The caller adds
// Nats-Msg-Id.
func EncodeRaw(subject, tenant, provider, remoteAddr string, req *providers.Request) *nats.Msg {
	h := make(nats.Header, len(req.Header)+6)
	h[HeaderTenant] = []string{tenant}
	h[HeaderProvider] = []string{provider}
	h[HeaderMethod] = []string{req.Method}
	h[HeaderQuery] = []string{req.Query.Encode()}
	h[HeaderReceivedAt] = []string{req.ReceivedAt.UTC().Format(time.RFC3339Nano)}
	h[HeaderRemoteAddr] = []string{remoteAddr}
	for k, vs := range req.Header {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if secretHeaders[ck] || len(vs) == 0 {
			continue
		}
		h[HTTPHeaderPrefix+ck] = append([]string(nil), vs...)
	}
	return &nats.Msg{Subject: subject, Header: h, Data: req.Body}
}

// DecodeRaw reverses EncodeRaw. It returns an error wrapping ErrBadRaw when
// m lacks the tenant, provider or method, or its receive time or query
// does not parse. The request's Body aliases m.Data.
func DecodeRaw(m *Message) (tenant, provider, remoteAddr string, req *providers.Request, err error) {
	h := m.Header
	tenant, provider = h.Get(HeaderTenant), h.Get(HeaderProvider)
	method := h.Get(HeaderMethod)
	if tenant == "" || provider == "" || method == "" {
		return "", "", "", nil, fmt.Errorf("%w: missing %s, %s or %s header", ErrBadRaw, HeaderTenant, HeaderProvider, HeaderMethod)
	}
	receivedAt, err := time.Parse(time.RFC3339Nano, h.Get(HeaderReceivedAt))
	if err != nil {
		return "", "", "", nil, fmt.Errorf("%w: %s: %w", ErrBadRaw, HeaderReceivedAt, err)
	}
	query, err := url.ParseQuery(h.Get(HeaderQuery))
	if err != nil {
		return "", "", "", nil, fmt.Errorf("%w: %s: %w", ErrBadRaw, HeaderQuery, err)
	}
	header := make(http.Header)
	for k, vs := range h {
		if name, ok := strings.CutPrefix(k, HTTPHeaderPrefix); ok && name != "" {
			ck := textproto.CanonicalMIMEHeaderKey(name)
			header[ck] = append(header[ck], vs...)
		}
	}
	req = &providers.Request{
		Method:     method,
		Header:     header,
		Query:      query,
		Body:       m.Data,
		ReceivedAt: receivedAt,
	}
	return tenant, provider, h.Get(HeaderRemoteAddr), req, nil
}
