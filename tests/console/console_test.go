// Package console tests the ops console in a real browser: Chromium
// (Debian's package; scripts/ensure-chromium.sh installs it, or set
// COUNTERSIGN_CHROME) driven by chromedp against the all-in-one on a real
// mesh. With COUNTERSIGN_SCREENSHOTS=docs/console it also writes the
// README's screenshots (a path relative to the repository root).
package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/countersign/countersign/services/countersign/app"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/tests/sandbox"
)

const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	operateToken  = "console-operate-token"
	readToken     = "console-read-token"
	docuSignKey   = "docusign-test-key"
	docuSignToken = "ds-sandbox-token"
)

func config(apiURL string) string {
	return fmt.Sprintf(`
admin:
  tokens:
    - {token: %q, name: ops}
    - {token: %q, name: viewer, role: read, tenants: [acme]}
tenants:
  - id: acme
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: standardwebhooks
        secrets: [%q]
      - kind: docusign
        hmac_keys: [%q]
        api: {base_url: %q, token: %q, account_id: %q}
        reconcile: {interval: 1h, incident_interval: 30m}
    export: {target: "nats-object://exports"}
    notify: {reminders: [2s, 72h]}
`, operateToken, readToken, specSecret, docuSignKey, apiURL, docuSignToken, sandbox.DefaultDocuSignAcct)
}

// chromePath finds the browser: COUNTERSIGN_CHROME, else Chromium or
// Chrome on PATH.
func chromePath(t *testing.T) string {
	if p := os.Getenv("COUNTERSIGN_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium: run scripts/ensure-chromium.sh (go tool task test does) or set COUNTERSIGN_CHROME")
	return ""
}

// screenshots is where to write the README's screenshots ("" = nowhere).
func screenshots(t *testing.T) string {
	dir := os.Getenv("COUNTERSIGN_SCREENSHOTS")
	if dir == "" || filepath.IsAbs(dir) {
		return dir
	}
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return filepath.Join(d, dir)
		}
	}
	t.Fatalf("COUNTERSIGN_SCREENSHOTS=%s: no repository root above %s", dir, wd)
	return ""
}

// page is a browser tab on the console.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string
}

// with returns the page reporting to t (a subtest).
func (p *page) with(t *testing.T) *page {
	c := *p
	c.t = t
	return &c
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls a JavaScript expression until it is true.
func (p *page) waitFor(what, expr string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		body, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
		p.t.Fatalf("%s: %v (waiting for %s)\npage:\n%s", what, err, expr, body)
	}
}

// eval evaluates expr in the page, awaiting a promise.
func eval[T any](p *page, what, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return eval[string](p, "text of "+sel, `(document.querySelector(`+strconv.Quote(sel)+`)||{}).innerText||""`)
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	if p.shot == "" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(p.shot, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.shot, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// useToken enters token in the header and waits for the role it has.
func (p *page) useToken(token, role string) {
	p.t.Helper()
	p.setValue("#token", "")
	p.do("enter token", chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("tokenApply")))
	p.waitFor("role shown", `document.getElementById("role").innerText.includes("role: `+role+`")`)
}

// setValue sets a form field's value as if chosen, firing input.
func (p *page) setValue(sel, v string) {
	p.t.Helper()
	eval[bool](p, "set "+sel, `(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); e.value = `+strconv.Quote(v)+
		`; e.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)
}

func (p *page) visible(sel string) bool {
	p.t.Helper()
	return eval[bool](p, "visible "+sel, `(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); return !!e && e.offsetParent !== null; })()`)
}

// post sends a Standard Webhooks delivery, signed here.
func post(t *testing.T, m *mesh.Mesh, id string, body []byte) {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(specSecret, "whsec_"))
	ts := time.Now()
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.%s", id, ts.Unix(), body)
	req, _ := http.NewRequest(http.MethodPost, m.IngressURL+"/v1/webhooks/acme/standardwebhooks", bytes.NewReader(body))
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback %s: %s", id, resp.Status)
	}
}

func event(typ, id, recipient string, at time.Time) []byte {
	data := map[string]string{"document_id": id}
	if recipient != "" {
		data["recipient_id"] = recipient
		data["signer_email"] = recipient + "@acme.example"
	}
	b, _ := json.Marshal(map[string]any{"type": typ, "timestamp": at.UTC().Format(time.RFC3339), "data": data})
	return b
}

// admin calls the admin API with the operate token into out.
func admin(t *testing.T, m *mesh.Mesh, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, m.AdminURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+operateToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// forge appends an entry with a wrong hash to acme/id's ledger, behind
// statesync's back.
func forge(t *testing.T, m *mesh.Mesh, id string) {
	t.Helper()
	var l struct {
		Entries []envelope.Entry `json:"entries"`
	}
	if code := admin(t, m, http.MethodGet, "/v1/tenants/acme/envelopes/"+id+"/ledger", "", &l); code != http.StatusOK || len(l.Entries) == 0 {
		t.Fatalf("ledger of %s: %d", id, code)
	}
	head := l.Entries[len(l.Entries)-1]
	e := head
	e.ID, e.Type, e.State, e.PreviousState, e.Seq, e.PrevHash = "forged", envelope.TypeVoided, envelope.StateVoided, head.State, head.Seq+1, head.Hash
	e.Hash = strings.Repeat("0f", 32)
	data, _ := json.Marshal(e)
	if _, err := m.NATS.JS.Publish(t.Context(), e.Subject(), data); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleInBrowser: token entry, envelope search and page with the
// ledger verified in the browser, a forged entry shown as broken, the
// DLQ's selection → dry run → replay, reconciliation, and a read-only
// token that sees no action and is refused (403) if it tries one anyway.
func TestConsoleInBrowser(t *testing.T) {
	chrome := chromePath(t)
	apiSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(apiSrv.Close)
	m := mesh.Start(t, mesh.Options{Build: app.Build, Config: config(apiSrv.URL)})
	sb, err := sandbox.New(sandbox.Config{Target: m.IngressURL, Tenant: "acme", Seed: 1, API: sandbox.APIConfig{DocuSignToken: docuSignToken},
		Secrets: sandbox.Secrets{DocuSignKey: docuSignKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	apiSrv.Config.Handler = sb.APIHandler()

	// Three envelopes through the real pipeline, a poison callback for the
	// DLQ, one reconciliation round.
	start := time.Now().Add(-time.Hour)
	for _, id := range []string{"console-ok", "console-tampered", "console-sent"} {
		for i, typ := range []string{"document.sent", "document.viewed", "recipient.signed", "document.completed"} {
			if id == "console-sent" && i > 0 {
				break
			}
			recipient := ""
			switch {
			case typ == "recipient.signed":
				recipient = "cfo"
			case id == "console-sent":
				recipient = "signer" // waits to sign: the notifier plans reminders
			}
			post(t, m, id+"-"+strconv.Itoa(i), event(typ, id, recipient, start.Add(time.Duration(i)*time.Minute)))
			// One at a time, so the ledger reads in the order things
			// happened (the README's screenshot); any order converges.
			meshtest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
				var v struct {
					LedgerSeq int `json:"ledger_seq"`
				}
				if admin(t, m, http.MethodGet, "/v1/tenants/acme/envelopes/"+id, "", &v); v.LedgerSeq != i+1 {
					return fmt.Errorf("%s at seq %d", id, v.LedgerSeq)
				}
				return nil
			})
		}
	}
	post(t, m, "poison-1", []byte(`{"type":"document.sent","data":`))
	meshtest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		for id, seq := range map[string]uint64{"console-ok": 4, "console-tampered": 4, "console-sent": 1} {
			var v struct {
				LedgerSeq uint64 `json:"ledger_seq"`
			}
			if admin(t, m, http.MethodGet, "/v1/tenants/acme/envelopes/"+id, "", &v); v.LedgerSeq != seq {
				return fmt.Errorf("%s at seq %d", id, v.LedgerSeq)
			}
		}
		var d struct{ Entries []json.RawMessage }
		if admin(t, m, http.MethodGet, "/v1/dlq?tenant=acme", "", &d); len(d.Entries) != 1 {
			return fmt.Errorf("%d dead letters", len(d.Entries))
		}
		return nil
	})
	// A DocuSign envelope played by the sandbox to completion, exported.
	var signed *sandbox.Envelope
	for _, e := range sandbox.Generate(rand.New(rand.NewSource(5)), 6, []string{sandbox.KindDocuSign}, "acme") {
		if e.Truth == envelope.StateCompleted {
			signed = e
			break
		}
	}
	if signed == nil {
		t.Fatal("no completed envelope generated: change the seed")
	}
	fireCtx, cancelFire := context.WithTimeout(context.Background(), time.Minute)
	defer cancelFire()
	if _, err := sb.Fire(fireCtx, []*sandbox.Envelope{signed}); err != nil {
		t.Fatal(err)
	}
	meshtest.CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		var x struct {
			State string `json:"state"`
		}
		if code := admin(t, m, http.MethodGet, "/v1/tenants/acme/envelopes/"+signed.ID+"/export", "", &x); code != http.StatusOK || x.State != "exported" {
			return fmt.Errorf("export of %s: %d %q", signed.ID, code, x.State)
		}
		return nil
	})
	// console-sent's signer gets the first reminder (2 s after sent).
	meshtest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		var l struct {
			Entries []envelope.Entry `json:"entries"`
		}
		admin(t, m, http.MethodGet, "/v1/tenants/acme/envelopes/console-sent/ledger", "", &l)
		for _, e := range l.Entries {
			if e.Type == envelope.TypeReminderSent {
				return nil
			}
		}
		return fmt.Errorf("no reminder_sent in %d entries", len(l.Entries))
	})
	meshtest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		var st struct {
			PendingTimers int `json:"pending_timers"`
		}
		if code := admin(t, m, http.MethodGet, "/v1/tenants/acme/notify", "", &st); code != http.StatusOK || st.PendingTimers == 0 {
			return fmt.Errorf("notifier status: %d, %d pending timers", code, st.PendingTimers)
		}
		return nil
	})
	forge(t, m, "console-tampered")
	if code := admin(t, m, http.MethodPost, "/v1/reconcile", `{"tenant":"acme","provider":"docusign"}`, nil); code != http.StatusOK {
		t.Fatalf("reconcile: %d", code)
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1360, 860))...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	p := &page{t: t, ctx: ctx, base: m.AdminURL + "/ui/", shot: screenshots(t)}

	p.do("open the console", chromedp.Navigate(p.base))
	p.waitFor("console loaded", `!!window.countersignVerify && document.getElementById("ready").innerText.startsWith("ready")`)
	if p.visible("#dlqDry") {
		t.Errorf("without a token the replay buttons show")
	}
	// A wrong token is refused, and shows no action.
	p.setValue("#token", "")
	p.do("enter a wrong token", chromedp.SendKeys(chromedp.ID("token"), "not-a-token"), chromedp.Click(chromedp.ID("tokenApply")))
	p.waitFor("refusal shown", `document.getElementById("role").innerText.startsWith("401")`)
	if p.visible("#dlqDry") {
		t.Errorf("a refused token sees the replay buttons")
	}
	p.useToken(operateToken, "operate")

	t.Run("search and envelope page", func(t *testing.T) {
		p := p.with(t)
		p.do("search", chromedp.Click(chromedp.ID("searchGo")))
		p.waitFor("results", `document.querySelectorAll("a.envlink").length === 4`)
		p.setValue("#searchState", "sent")
		p.do("filter by state", chromedp.Click(chromedp.ID("searchGo")))
		p.waitFor("filtered", `document.querySelectorAll("a.envlink").length === 1 && document.querySelector("a.envlink").innerText === "console-sent"`)
		p.setValue("#searchState", "")
		p.do("all states", chromedp.Click(chromedp.ID("searchGo")))
		p.waitFor("results again", `document.querySelectorAll("a.envlink").length === 4`)
		p.screenshot("search")

		p.setValue("#searchQ", "console-sent")
		p.do("open an id", chromedp.Click(chromedp.ID("openExact")))
		p.waitFor("opened by id", `(document.querySelector("#envOut h2")||{}).innerText === "acme / console-sent" && !!document.getElementById("chainStatus")`)
		if got := p.text("#envOut"); !strings.Contains(got, "reminder_sent") || !strings.Contains(got, "signer@acme.example") {
			t.Errorf("console-sent's page does not show the reminder:\n%s", got)
		}
		p.screenshot("reminders")
		p.do("back to the search", chromedp.Navigate(p.base+"#/envelopes"))
		p.do("open console-ok", chromedp.Click(chromedp.Search(`//a[text()="console-ok"]`)))
		p.waitFor("chain checked", `(document.querySelector("#envOut h2")||{}).innerText === "acme / console-ok" && !!document.getElementById("chainStatus")`)
		if got := p.text("#chainStatus"); !strings.Contains(got, "verified in this browser (4 entries)") {
			t.Errorf("chain status %q, want verified", got)
		}
		if got := p.text("#envState"); got != "completed" {
			t.Errorf("state %q", got)
		}
		if got := p.text("#envOut"); !strings.Contains(got, "cfo@acme.example") || !strings.Contains(got, "recipient_signed") {
			t.Errorf("envelope page without recipient or ledger:\n%s", got)
		}
		p.waitFor("export status", `document.getElementById("exportState") !== null`)
		p.screenshot("envelope")

		// The fallback SHA-256 (pages over plain HTTP from another host
		// have no WebCrypto) must agree with WebCrypto on this ledger.
		agree := eval[bool](p, "fallback hash", `(async () => {
			const r = await fetch("/v1/tenants/acme/envelopes/console-ok/ledger", {headers: {Authorization: "Bearer `+operateToken+`"}});
			const l = await r.json();
			const withSubtle = await countersignVerify.verifyChain(l.entries, "acme", "console-ok");
			globalThis.countersignNoWebCrypto = true;
			const without = await countersignVerify.verifyChain(l.entries, "acme", "console-ok");
			globalThis.countersignNoWebCrypto = false;
			return withSubtle.ok && without.ok &&
				countersignVerify.sha256Fallback(new TextEncoder().encode("abc")) === "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
		})()`)
		if !agree {
			t.Errorf("the fallback SHA-256 does not verify the ledger WebCrypto verifies")
		}
		checkJCS(t, p)
	})

	t.Run("export", func(t *testing.T) {
		p := p.with(t)
		p.do("open the exported envelope", chromedp.Navigate(p.base+"#/envelope/acme/"+signed.ID))
		p.waitFor("export shown", `(document.querySelector("#envOut h2")||{}).innerText === "acme / `+signed.ID+`" && (document.getElementById("exportState")||{}).innerText === "exported"`)
		if got := p.text("#chainStatus"); !strings.Contains(got, "verified in this browser") {
			t.Errorf("chain status %q, want verified (the exported entry is part of the chain)", got)
		}
		got := p.text("#exportOut")
		for _, want := range []string{"signed.pdf", "audit.pdf", "ledger.json", "nats-object://exports", "Export again"} {
			if !strings.Contains(got, want) {
				t.Errorf("export section without %q:\n%s", want, got)
			}
		}
		if got := p.text("#envOut"); !strings.Contains(got, "exported") || !strings.Contains(got, "location: nats-object://exports") {
			t.Errorf("the ledger does not show the exported entry with its detail:\n%s", got)
		}
		eval[bool](p, "scroll", `(document.getElementById("exportOut").scrollIntoView(), true)`)
		p.screenshot("export")
	})

	t.Run("tampered ledger", func(t *testing.T) {
		p := p.with(t)
		p.do("open the forged envelope", chromedp.Navigate(p.base+"#/envelope/acme/console-tampered"))
		p.waitFor("chain checked", `(document.querySelector("#envOut h2")||{}).innerText === "acme / console-tampered" && !!document.getElementById("chainStatus")`)
		if got := p.text("#chainStatus"); !strings.Contains(got, "BROKEN at seq 5") {
			t.Errorf("chain status %q, want broken at seq 5", got)
		}
		broken := eval[int](p, "broken rows", `document.querySelectorAll("tr.entry.broken").length`)
		if broken != 1 {
			t.Errorf("%d ledger rows marked broken, want 1 (the forged entry)", broken)
		}
		p.screenshot("tampered")
	})

	t.Run("DLQ dry run then replay", func(t *testing.T) {
		p := p.with(t)
		p.do("open the DLQ", chromedp.Navigate(p.base+"#/dlq"))
		p.setValue("#dlqTenant", "acme")
		p.do("list", chromedp.Click(chromedp.ID("dlqList")))
		p.waitFor("one dead letter", `document.querySelectorAll("input.dlqsel").length === 1`)
		disabled := eval[bool](p, "replay before a dry run", `document.getElementById("dlqReplay").disabled`)
		if !disabled {
			t.Errorf("replay is enabled before a dry run")
		}
		p.do("select and dry-run", chromedp.Click(chromedp.CSS("input.dlqsel")), chromedp.Click(chromedp.ID("dlqDry")))
		p.waitFor("dry run result", `document.getElementById("dlqResult").innerText.startsWith("Dry run: 1 would be replayed")`)
		p.waitFor("replay enabled", `!document.getElementById("dlqReplay").disabled`)
		p.screenshot("dlq")
		var d struct {
			Entries []struct {
				ReplayedAt *time.Time `json:"replayed_at"`
			}
		}
		if admin(t, m, http.MethodGet, "/v1/dlq?tenant=acme", "", &d); len(d.Entries) != 1 || d.Entries[0].ReplayedAt != nil {
			t.Fatalf("after the dry run: %+v, want one entry not replayed", d.Entries)
		}
		// The confirm() dialog is the operator's; the test answers yes.
		p.do("replay", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(window.confirm = () => true, true)`)(ctx, t)
			return err
		}), chromedp.Click(chromedp.ID("dlqReplay")))
		p.waitFor("replayed", `document.getElementById("dlqResult").innerText.startsWith("Replayed: 1 of 1")`)
		meshtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
			d.Entries = nil
			admin(t, m, http.MethodGet, "/v1/dlq?tenant=acme", "", &d)
			for _, e := range d.Entries {
				if e.ReplayedAt != nil {
					return nil
				}
			}
			return fmt.Errorf("no entry marked replayed: %+v", d.Entries)
		})
	})

	t.Run("reconciliation", func(t *testing.T) {
		p := p.with(t)
		p.do("open", chromedp.Navigate(p.base+"#/reconcile"), chromedp.Click(chromedp.ID("recShow")))
		p.waitFor("providers", `document.querySelectorAll("button.recnow").length >= 1`)
		p.do("reconcile now", chromedp.Click(chromedp.CSS(`button.recnow[data-provider="docusign"]`)))
		p.waitFor("reconciled", `document.getElementById("recResult").innerText.startsWith("Reconciled acme/docusign")`)
		p.screenshot("reconcile")
	})

	t.Run("audit trail", func(t *testing.T) {
		p := p.with(t)
		p.do("open", chromedp.Navigate(p.base+"#/audit"), chromedp.Click(chromedp.ID("auditShow")))
		p.waitFor("the replay is recorded", `[...document.querySelectorAll("tr.audit")].some((r) => r.innerText.includes("ops") && r.innerText.includes("POST /v1/replay"))`)
		p.screenshot("audit")
	})

	t.Run("notifier", func(t *testing.T) {
		p := p.with(t)
		p.do("open", chromedp.Navigate(p.base+"#/notify"), chromedp.Click(chromedp.ID("notifyShow")))
		p.waitFor("status", `document.getElementById("notifyOut").innerText.includes("pending_timers")`)
		if got := p.text("#notifyOut"); !strings.Contains(got, "configured\ntrue") || !strings.Contains(got, "paused\nfalse") {
			t.Errorf("notifier status:\n%s", got)
		}
		p.do("resume", chromedp.Click(chromedp.ID("notifyResume")))
		p.waitFor("resumed", `document.getElementById("notifyResult").innerText === "Reminders of acme resumed."`)
		p.screenshot("notifier")
	})

	t.Run("read-only token", func(t *testing.T) {
		p := p.with(t)
		p.do("reload", chromedp.Navigate(p.base+"#/dlq"))
		p.useToken(readToken, "read")
		p.do("list", chromedp.Click(chromedp.ID("dlqList")))
		p.waitFor("dead letters listed", `document.querySelectorAll("input.dlqsel").length >= 1`)
		for _, sel := range []string{"#dlqDry", "#dlqReplay", "#notifyResume"} {
			if p.visible(sel) {
				t.Errorf("a read token sees %s", sel)
			}
		}
		p.screenshot("readonly")
		status := eval[int](p, "replay anyway", `fetch("/v1/replay", {method: "POST", headers: {Authorization: "Bearer `+readToken+`", "Content-Type": "application/json"},
			body: JSON.stringify({tenant: "acme", since: "1970-01-01T00:00:00Z", until: new Date().toISOString()})}).then((r) => r.status)`)
		if status != http.StatusForbidden {
			t.Errorf("a replay with the read token: %d, want 403", status)
		}
		p.do("open an envelope", chromedp.Navigate(p.base+"#/envelope/acme/console-ok"))
		p.waitFor("chain checked", `(document.querySelector("#envOut h2")||{}).innerText === "acme / console-ok" && !!document.getElementById("chainStatus")`)
		if p.visible("#exportRun") {
			t.Errorf("a read token sees Export again")
		}
	})
}
