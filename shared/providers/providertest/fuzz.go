package providertest

import (
	"bufio"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/providers"
)

// FuzzTenant is the tenant fuzzed requests are parsed for.
const FuzzTenant = "fuzz"

// Fuzz seeds f with every case's request (official vectors among them;
// add more with f.Add(method, header, query, body, unixNow) before the
// call), then fuzzes method, headers ("Key: value" lines), query string,
// body and clock through Exercise on adapter a. Any invariant break or
// panic fails.
func Fuzz(f *testing.F, a providers.Adapter, cases ...Case) {
	for _, c := range cases {
		f.Add(c.Request.Method, headerText(c.Request.Header), c.Request.Query.Encode(), []byte(c.Request.Body), c.Now.Unix())
	}
	f.Fuzz(func(t *testing.T, method, header, query string, body []byte, now int64) {
		if err := Exercise(a, FuzzTenant, FuzzRequest(method, header, query, body, now)); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzRequest builds a request from fuzzed parts: header is "Key: value"
// lines, query a URL query string (undecodable pairs are dropped, as
// net/http does), now the receive time in unix seconds.
func FuzzRequest(method, header, query string, body []byte, now int64) *providers.Request {
	h := http.Header{}
	sc := bufio.NewScanner(strings.NewReader(header))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) != "" {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	q, _ := url.ParseQuery(query)
	if q == nil {
		q = url.Values{}
	}
	return &providers.Request{Method: method, Header: h, Query: q, Body: body, ReceivedAt: time.Unix(now, 0).UTC()}
}

func headerText(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	return b.String()
}
