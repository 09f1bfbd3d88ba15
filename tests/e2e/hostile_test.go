package e2e

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/services/countersign/app"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
)

// syncBuffer collects the services' logs for grepping.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// alive checks that the mesh still works end to end: a fresh delivery
// becomes an envelope.
func alive(t *testing.T, m *mesh.Mesh, c *http.Client, id string) {
	t.Helper()
	now := time.Now()
	d := swDelivery{ID: "msg_alive_" + id, TS: now, Body: swEvent("document.sent", id, "", now)}
	if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
		t.Fatalf("alive: delivery answered %d", resp.StatusCode)
	}
	meshtest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		var v envelopeView
		if code := adminGet(t, m, envelopePath("acme", id), &v); code != http.StatusOK || v.State != "sent" {
			return fmt.Errorf("envelope %s: %d %q", id, code, v.State)
		}
		return nil
	})
}

// A validly signed delivery whose envelope id is thousands of characters
// long used to reach the verifier, whose STATE subject then exceeded the
// NATS control line: the server closed the connection, the process
// exited, and on restart met the same message again. Now it is stored
// (2xx), dead-lettered with the field and the reason, and everything else
// keeps working — also after a restart.
func TestLongIDsAreDeadLetteredNotFatal(t *testing.T) {
	m := startMesh(t, "")
	c := &http.Client{Timeout: 10 * time.Second}
	now := time.Now()
	long := strings.Repeat("x", 3200)
	for i, body := range [][]byte{
		swEvent("document.sent", long, "", now),
		swEvent("recipient.signed", "env-long-recipient", long, now),
	} {
		d := swDelivery{ID: fmt.Sprintf("msg_long_%d", i), TS: now, Body: body}
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: %d, want 200 (stored, then dead-lettered)", i, resp.StatusCode)
		}
	}
	entries := dlqEntries(t, m, "/v1/dlq?service=verifier", 2)
	for _, e := range entries {
		if e.ErrorClass != "permanent" || !strings.Contains(e.Error, "over the 256-byte limit") {
			t.Errorf("DLQ entry %s: class %q error %q, want permanent naming the limit", e.ID, e.ErrorClass, e.Error)
		}
		if strings.Contains(e.Error, "xxxx") {
			t.Errorf("DLQ entry %s: error quotes the id", e.ID)
		}
	}
	alive(t, m, c, "env-after-long")
	m.Restart(t)
	alive(t, m, c, "env-after-restart")
}

// A GET for an id no event could carry is a clean 404, and the admin
// listener stays up (it used to send a 6,000-byte KV subject and die).
func TestAdminLongIDIs404(t *testing.T) {
	m := startMesh(t, "")
	for _, path := range []string{
		envelopePath("acme", strings.Repeat("y", 5000)),
		envelopePath("acme", strings.Repeat("y", 5000)) + "/ledger",
	} {
		if code := adminGet(t, m, path, nil); code != http.StatusNotFound {
			t.Errorf("GET %s…: %d, want 404", path[:40], code)
		}
	}
	alive(t, m, &http.Client{Timeout: 10 * time.Second}, "env-after-admin")
}

// Paths with ".." or "//" are answered 404 before the token check, never
// with a redirect that reveals routes to an unauthenticated caller.
func TestAdminDotPathsNotRedirected(t *testing.T) {
	m := startMesh(t, "")
	for _, p := range []string{"/v1/tenants/acme/../dlq", "//v1/dlq", "/v1//dlq", "/v1/./dlq"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(m.AdminURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", p)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s without token: %d, want 404", p, resp.StatusCode)
		}
	}
}

// A declared Content-Length over the limit is answered 413 at once, not
// after waiting out the read timeout for a body that never comes.
func TestDeclaredOversizeIs413AtOnce(t *testing.T) {
	m := startMesh(t, ingressConfig)
	conn, err := net.Dial("tcp", strings.TrimPrefix(m.IngressURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/webhooks/acme/standardwebhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n{")
	// The read deadline is the ceiling of "at once": far below the 15 s
	// read timeout the old answer waited for.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

// A signed timestamp with a sign ("+1796180636") is not unix seconds.
func TestSignedTimestampWithPlusRefused(t *testing.T) {
	m := startMesh(t, "")
	now := time.Now()
	body := swEvent("document.sent", "env-plus", "", now)
	ts := fmt.Sprintf("+%d", now.Unix())
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(specSecret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", "msg_plus", ts, body)
	req, _ := http.NewRequest(http.MethodPost, m.IngressURL+"/v1/webhooks/acme/standardwebhooks", bytes.NewReader(body))
	req.Header.Set("webhook-id", "msg_plus")
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
}

// Two envelope ids that differ only in invalid UTF-8 bytes must never
// become one envelope: both are refused (stored, dead-lettered with the
// reason), and no envelope named U+FFFD appears.
func TestInvalidUTF8IDsNeverMerged(t *testing.T) {
	m := startMesh(t, "")
	c := &http.Client{Timeout: 10 * time.Second}
	now := time.Now()
	for i, id := range []string{"env-\xff", "env-\xfe"} {
		body := []byte(fmt.Sprintf(`{"type":"document.sent","timestamp":%q,"data":{"document_id":"%s"}}`, now.UTC().Format(time.RFC3339), id))
		d := swDelivery{ID: fmt.Sprintf("msg_utf8_%d", i), TS: now, Body: body}
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: %d, want 200", i, resp.StatusCode)
		}
	}
	for _, e := range dlqEntries(t, m, "/v1/dlq?service=verifier", 2) {
		if !strings.Contains(e.Error, "not valid UTF-8") {
			t.Errorf("DLQ entry %s: error %q, want it to say not valid UTF-8", e.ID, e.Error)
		}
	}
	if code := adminGet(t, m, envelopePath("acme", "env-\uFFFD"), nil); code != http.StatusNotFound {
		t.Errorf("an envelope named with U+FFFD exists (%d): the two ids were merged", code)
	}
}

// A delivery id reused with a different body is stored (a 2xx promises
// that) and counted as suspicious; an identical retry is deduplicated.
func TestReusedDeliveryIDWithNewBodyIsStored(t *testing.T) {
	m := startMesh(t, "")
	c := &http.Client{Timeout: 10 * time.Second}
	now := time.Now()
	first := swDelivery{ID: "msg_reused", TS: now, Body: swEvent("document.sent", "env-reuse-1", "", now)}
	other := swDelivery{ID: "msg_reused", TS: now, Body: swEvent("document.sent", "env-reuse-2", "", now)}
	for i, d := range []swDelivery{first, first, other, other} {
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: %d, want 200", i, resp.StatusCode)
		}
	}
	info, err := m.NATS.StreamInfo(t.Context(), "RAW")
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("RAW holds %d messages, want 2 (each body once)", info.State.Msgs)
	}
	for _, id := range []string{"env-reuse-1", "env-reuse-2"} {
		meshtest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
			if code := adminGet(t, m, envelopePath("acme", id), nil); code != http.StatusOK {
				return fmt.Errorf("envelope %s: %d", id, code)
			}
			return nil
		})
	}
	metrics := scrape(t, m.IngressURL+"/metrics")
	if !strings.Contains(metrics, `countersign_ingress_delivery_id_reused_total{provider="standardwebhooks",tenant="acme"} 1`) {
		t.Errorf("reused counter not 1:\n%s", grepLines(metrics, "reused"))
	}
}

// No body content in logs or DLQ errors: a distinctive marker sent through
// every error path (bad JSON, wrong types, bad times, long ids, control
// characters, invalid UTF-8, forged signatures, unknown types) appears in
// neither the services' debug logs nor any DLQ entry's error.
func TestNoBodyContentInLogsOrDLQErrors(t *testing.T) {
	const marker = "MARKER-7c1d-person@example.com"
	logs := &syncBuffer{}
	m := mesh.Start(t, mesh.Options{Build: app.Build, Log: logs, LogLevel: "debug"})
	c := &http.Client{Timeout: 10 * time.Second}
	now := time.Now()
	ts := now.UTC().Format(time.RFC3339)
	bodies := []string{
		`{"type":"document.sent","data":` + marker,                                                                      // bad JSON
		`{"type":"document.sent","timestamp":"` + marker + `","data":{"document_id":"e1"}}`,                             // bad time
		`{"type":"document.sent","timestamp":"` + ts + `","data":{"document_id":["` + marker + `"]}}`,                   // wrong type
		`{"type":"document.sent","timestamp":"` + ts + `","data":{"document_id":"` + strings.Repeat(marker, 80) + `"}}`, // too long
		`{"type":"document.sent","timestamp":"` + ts + `","data":{"document_id":"` + marker + `\n"}}`,                   // control char
		`{"type":"document.sent","timestamp":"` + ts + `","data":{"document_id":"` + marker + "\xff" + `"}}`,            // not UTF-8
		`{"type":"recipient.signed","timestamp":"` + ts + `","data":{"document_id":"e2","recipient_id":"` + strings.Repeat(marker, 80) + `"}}`,
		`{"type":"` + marker + `","timestamp":"` + ts + `","data":{"document_id":"e3"}}`, // unknown type: ignored
	}
	for i, b := range bodies {
		d := swDelivery{ID: fmt.Sprintf("msg_marker_%d", i), TS: now, Body: []byte(b)}
		if resp := post(t, c, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
			t.Fatalf("body %d: %d, want 200", i, resp.StatusCode)
		}
	}
	// Forged and unauthenticated deliveries with the marker in the body
	// and in the headers.
	forged := swDelivery{ID: "msg_" + marker, TS: now, Body: []byte(marker)}
	if resp := post(t, c, m.IngressURL, "acme", "whsec_"+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", forged); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged: %d, want 401", resp.StatusCode)
	}
	for _, kind := range []string{"docusign", "dropboxsign", "adobesign", "esignanywhere"} {
		resp, err := c.Post(m.IngressURL+"/v1/webhooks/acme/"+kind+"?envelope="+marker+"&token="+marker, "application/json", strings.NewReader(`{"json":"`+marker+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// A signed DocuSign message with the marker in a recipient list of the
	// wrong shape.
	ds := []byte(`{"event":"recipient-completed","generatedDateTime":"` + ts + `","data":{"envelopeId":"e4","envelopeSummary":{"recipients":{"signers":"` + marker + `"}}}}`)
	mac := hmac.New(sha256.New, []byte("docusign-test-key"))
	mac.Write(ds)
	req, _ := http.NewRequest(http.MethodPost, m.IngressURL+"/v1/webhooks/acme/docusign", bytes.NewReader(ds))
	req.Header.Set("X-DocuSign-Signature-1", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed docusign: %d", resp.StatusCode)
	}

	entries := dlqEntries(t, m, "/v1/dlq?service=verifier", 8)
	for _, e := range entries {
		if strings.Contains(e.Error, "MARKER") || strings.Contains(e.Error, "example.com") {
			t.Errorf("DLQ entry %s: error quotes the body: %q", e.ID, e.Error)
		}
		if e.Error == "" {
			t.Errorf("DLQ entry %s: no reason", e.ID)
		}
	}
	alive(t, m, c, "env-after-marker")
	if i := strings.Index(logs.String(), "MARKER"); i >= 0 {
		s := logs.String()
		lo := strings.LastIndex(s[:i], "\n") + 1
		hi := i + strings.Index(s[i:], "\n")
		t.Errorf("logs quote the body: %s", s[lo:hi])
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
