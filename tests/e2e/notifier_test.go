package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/standardwebhooks"
)

// notifyConfig is the harness config with a notify playbook for acme:
// compressed offsets, a webhook channel for everything and an email
// channel for escalations.
func notifyConfig(hookURL, smtpAddr, reminders string, maxDeliver int) string {
	return `
admin:
  tokens: ["` + mesh.AdminToken + `"]
streams:
  max_deliver: ` + fmt.Sprint(maxDeliver) + `
tenants:
  - id: acme
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: standardwebhooks
        secrets: ["` + specSecret + `"]
    notify:
      reminders: ` + reminders + `
      escalate_after_failures: 2
      channels:
        - kind: webhook
          url: "` + hookURL + `"
          secret: "` + specSecret + `"
        - kind: email
          smtp: "` + smtpAddr + `"
          from: "countersign@acme.example"
          to: ["esign-ops@acme.example"]
          events: [escalation]
`
}

// hookNote is one notification a channel webhook received.
type hookNote struct {
	ID   string
	Type string `json:"type"`
	Data struct {
		EnvelopeID string `json:"envelope_id"`
		Recipient  *struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"recipient"`
		Reason   string `json:"reason"`
		Reminder int    `json:"reminder"`
	} `json:"data"`
}

// hookSink is a channel's receiver: it checks every signature with the
// Standard Webhooks verifier, records each attempt, and can refuse the
// first attempts with 503.
type hookSink struct {
	*httptest.Server
	mu       sync.Mutex
	attempts []hookNote
	accepted []hookNote
	fail     int
}

func newHookSink(t *testing.T, failFirst int) *hookSink {
	v, err := standardwebhooks.New(config.Provider{Kind: "standardwebhooks",
		Secrets: []config.Secret{config.NewSecret(specSecret)}, Tolerance: config.Duration(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	h := &hookSink{fail: failFirst}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := v.Authenticate(&providers.Request{Method: r.Method, Header: r.Header, Body: body}, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var n hookNote
		if err := json.Unmarshal(body, &n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n.ID = r.Header.Get("webhook-id")
		h.mu.Lock()
		defer h.mu.Unlock()
		h.attempts = append(h.attempts, n)
		if h.fail > 0 {
			h.fail--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		h.accepted = append(h.accepted, n)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookSink) notes() (attempts, accepted []hookNote) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.attempts), slices.Clone(h.accepted)
}

// find returns the accepted notifications of a type about an envelope
// (and recipient, unless "").
func (h *hookSink) find(typ, envelopeID, recipient string) []hookNote {
	_, acc := h.notes()
	var out []hookNote
	for _, n := range acc {
		if n.Type == typ && n.Data.EnvelopeID == envelopeID && (recipient == "" || n.Data.Recipient != nil && n.Data.Recipient.ID == recipient) {
			out = append(out, n)
		}
	}
	return out
}

// auditEntry is a ledger entry with the fields audit entries carry.
type auditEntry struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Source    string `json:"source"`
	Recipient *struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Detail map[string]string `json:"detail"`
}

// audits returns an envelope's ledger entries of type typ.
func audits(t *testing.T, m *mesh.Mesh, envelopeID, typ string) []auditEntry {
	t.Helper()
	var lv ledgerView
	if code := adminGet(t, m, envelopePath("acme", envelopeID)+"/ledger", &lv); code != http.StatusOK {
		return nil
	}
	if !lv.Verified {
		t.Fatalf("ledger of %s does not verify", envelopeID)
	}
	var out []auditEntry
	for _, raw := range lv.Entries {
		var e auditEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// sender posts Standard Webhooks callbacks with fresh delivery ids.
type sender struct {
	t *testing.T
	m *mesh.Mesh
	n int
}

func (s *sender) send(typ, envelopeID, recipient string, at time.Time) {
	s.t.Helper()
	s.n++
	d := swDelivery{ID: fmt.Sprintf("msg_notify_%d", s.n), TS: time.Now(), Body: swEvent(typ, envelopeID, recipient, at)}
	if resp := post(s.t, http.DefaultClient, s.m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
		s.t.Fatalf("%s %s: %s", typ, envelopeID, resp.Status)
	}
}

// TestNotifierPlaybook: reminders go out at their offsets to whoever has
// not signed and stop at the signature; a finished envelope gets none;
// two bounces escalate (webhook and email); a channel's 5xx is retried
// with the same webhook-id; every action is in the ledger once.
func TestNotifierPlaybook(t *testing.T) {
	hooks := newHookSink(t, 1)
	smtp := meshtest.StartPlainSMTP(t)
	m := startMesh(t, notifyConfig(hooks.URL, smtp.Addr, "[3s, 8s]", 10))
	s := &sender{t: t, m: m}
	now := time.Now().UTC()
	s.send("document.sent", "env-rem", "alice", now)
	s.send("document.sent", "env-rem", "bob", now)
	s.send("document.sent", "env-done", "dave", now)
	s.send("document.completed", "env-done", "", now.Add(time.Second))
	s.send("document.sent", "env-esc", "carol", now)
	s.send("recipient.delivery_failed", "env-esc", "carol", now.Add(time.Second))
	s.send("recipient.delivery_failed", "env-esc", "carol", now.Add(2*time.Second))

	meshtest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		if len(hooks.find("countersign.reminder_due", "env-rem", "alice")) == 0 {
			return fmt.Errorf("no first reminder for alice yet")
		}
		return nil
	})
	if since := time.Since(now); since < 3*time.Second {
		t.Fatalf("first reminder after %s, before its 3s offset", since)
	}
	s.send("recipient.signed", "env-rem", "alice", now.Add(4*time.Second))

	meshtest.CheckFor(t, 40*time.Second, 200*time.Millisecond, func() error {
		for _, n := range hooks.find("countersign.reminder_due", "env-rem", "bob") {
			if n.Data.Reminder == 2 {
				return nil
			}
		}
		return fmt.Errorf("no second reminder for bob yet")
	})
	meshtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		if got := len(audits(t, m, "env-rem", "reminder_sent")); got != 3 {
			return fmt.Errorf("%d reminder_sent entries, want 3", got)
		}
		return nil
	})
	got := map[string]int{}
	for _, e := range audits(t, m, "env-rem", "reminder_sent") {
		got[e.Recipient.ID+"/"+e.Detail["reminder"]]++
		if e.Source != "notifier" || e.Detail["via"] != "channels" {
			t.Errorf("reminder entry %+v, want source notifier via channels", e)
		}
	}
	if got["alice/1"] != 1 || got["bob/1"] != 1 || got["bob/2"] != 1 || got["alice/2"] != 0 {
		t.Errorf("reminders in the ledger %v, want alice/1 bob/1 bob/2 once each", got)
	}
	if n := len(hooks.find("countersign.reminder_due", "env-rem", "alice")); n != 1 {
		t.Errorf("alice was reminded %d times on the channel, want 1 (she signed before the second)", n)
	}
	if e := audits(t, m, "env-done", "reminder_sent"); len(e) != 0 {
		t.Errorf("a completed envelope got reminders: %+v", e)
	}

	// Escalation after two bounces: on the webhook, by email, in the ledger.
	meshtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		if len(hooks.find("countersign.escalation", "env-esc", "carol")) == 0 || len(smtp.Messages()) == 0 {
			return fmt.Errorf("escalation not on both channels yet")
		}
		return nil
	})
	esc := audits(t, m, "env-esc", "escalated")
	if len(esc) != 1 || esc[0].Detail["reason"] != "failures" || esc[0].Recipient.ID != "carol" {
		t.Errorf("escalated entries %+v, want one for carol, reason failures", esc)
	}
	for _, msg := range smtp.Messages() {
		if !strings.Contains(string(msg.Data), "X-Countersign-Event: countersign.escalation") {
			t.Errorf("the email channel filters to escalations, got:\n%s", msg.Data)
		}
	}

	// The first POST was refused (503) and retried with the same id;
	// every notification has its own id, accepted once.
	attempts, accepted := hooks.notes()
	if attempts[0].ID != attempts[1].ID && !slices.ContainsFunc(accepted, func(n hookNote) bool { return n.ID == attempts[0].ID }) {
		t.Errorf("the refused notification %s was not retried with its id", attempts[0].ID)
	}
	ids := map[string]int{}
	for _, n := range accepted {
		ids[n.ID]++
	}
	for id, c := range ids {
		if c != 1 {
			t.Errorf("notification %s accepted %d times", id, c)
		}
	}
}

// TestNotifierTimersSurviveRestart: timers set before the services and
// NATS restart fire after it, each once — no timer lives in memory.
func TestNotifierTimersSurviveRestart(t *testing.T) {
	hooks := newHookSink(t, 0)
	smtp := meshtest.StartPlainSMTP(t)
	m := startMesh(t, notifyConfig(hooks.URL, smtp.Addr, "[4s, 6s]", 10))
	s := &sender{t: t, m: m}
	now := time.Now().UTC()
	for _, r := range []string{"erin", "frank"} {
		s.send("document.sent", "env-restart", r, now)
	}
	// Both recipients' timers are set before the restart.
	meshtest.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		info, err := m.NATS.StreamInfo(t.Context(), "NOTIFY")
		if err != nil {
			return err
		}
		if info.State.Msgs < 4 {
			return fmt.Errorf("%d timers pending, want 4", info.State.Msgs)
		}
		return nil
	})
	m.Restart(t)
	meshtest.CheckFor(t, 40*time.Second, 200*time.Millisecond, func() error {
		if got := len(audits(t, m, "env-restart", "reminder_sent")); got != 4 {
			return fmt.Errorf("%d reminders recorded, want 4", got)
		}
		return nil
	})
	// A second restart after the fires brings nothing back.
	m.Restart(t)
	s.send("document.viewed", "env-restart", "erin", now.Add(time.Second))
	meshtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		var v envelopeView
		if adminGet(t, m, envelopePath("acme", "env-restart"), &v) != http.StatusOK || v.State != "delivered" {
			return fmt.Errorf("envelope not delivered yet")
		}
		return nil
	})
	ids := map[string]int{}
	_, accepted := hooks.notes()
	for _, n := range accepted {
		if n.Type == "countersign.reminder_due" {
			ids[n.ID]++
		}
	}
	if len(ids) != 4 {
		t.Errorf("%d distinct reminders on the channel, want 4", len(ids))
	}
	if got := len(audits(t, m, "env-restart", "reminder_sent")); got != 4 {
		t.Errorf("%d reminders recorded after the second restart, want 4", got)
	}
}

// TestNotifierSMTPDownDeadLettersThenReplaysOnce: a channel that keeps
// failing is retried with backoff, dead-lettered when the retry budget is
// spent, and a replay once it is back sends the notification once.
func TestNotifierSMTPDownDeadLettersThenReplaysOnce(t *testing.T) {
	hooks := newHookSink(t, 0)
	smtp := meshtest.StartPlainSMTP(t)
	smtp.SetDown(true)
	cfg := notifyConfig(hooks.URL, smtp.Addr, "[]", 100) + `
retry:
  schedule: [200ms]
  budget: 1s
  redrive_interval: 1h
`
	m := startMesh(t, cfg)
	s := &sender{t: t, m: m}
	now := time.Now().UTC()
	s.send("document.sent", "env-smtp", "gina", now)
	s.send("recipient.delivery_failed", "env-smtp", "gina", now.Add(time.Second))
	s.send("recipient.delivery_failed", "env-smtp", "gina", now.Add(2*time.Second))

	entries := dlqEntries(t, m, "/v1/dlq?tenant=acme&service=notifier", 1)
	e := entries[0]
	if e.ErrorClass != "transient" || e.Attempts < 2 || !strings.HasPrefix(e.Subject, "notify.send.acme.") {
		t.Fatalf("DLQ entry %+v, want a transient notify.send job retried", e)
	}
	if len(smtp.Messages()) != 0 {
		t.Fatal("mail accepted while the server was down")
	}
	// The webhook channel was not held up by the email channel.
	if len(hooks.find("countersign.escalation", "env-smtp", "gina")) != 1 {
		t.Error("the webhook channel did not get the escalation once")
	}
	smtp.SetDown(false)
	var ans replayAnswer
	if code := adminPost(t, m, mesh.AdminToken, "/v1/replay", `{"ids":["`+e.ID+`"]}`, &ans); code != http.StatusOK || ans.Replayed != 1 {
		t.Fatalf("replay: %d %+v", code, ans)
	}
	meshtest.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		if n := len(smtp.Messages()); n != 1 {
			return fmt.Errorf("%d mails, want 1", n)
		}
		return nil
	})
	var again replayAnswer
	_ = adminPost(t, m, mesh.AdminToken, "/v1/replay", `{"ids":["`+e.ID+`"]}`, &again)
	if again.Replayed != 0 {
		t.Errorf("a second replay of the same entry replayed %d", again.Replayed)
	}
	if n := len(smtp.Messages()); n != 1 {
		t.Errorf("%d mails after a second replay request, want 1", n)
	}
	if esc := audits(t, m, "env-smtp", "escalated"); len(esc) != 1 {
		t.Errorf("%d escalated entries, want 1", len(esc))
	}
}

// TestNotifierEscalatesSilence: a recipient silent past
// escalate_unsigned_after is escalated once; one who signed is not.
func TestNotifierEscalatesSilence(t *testing.T) {
	hooks := newHookSink(t, 0)
	smtp := meshtest.StartPlainSMTP(t)
	cfg := strings.Replace(notifyConfig(hooks.URL, smtp.Addr, "[]", 10),
		"      escalate_after_failures: 2\n", "      escalate_after_failures: 2\n      escalate_unsigned_after: 3s\n", 1)
	m := startMesh(t, cfg)
	s := &sender{t: t, m: m}
	now := time.Now().UTC()
	s.send("document.sent", "env-silent", "hank", now)
	s.send("document.sent", "env-silent", "ivy", now)
	s.send("recipient.signed", "env-silent", "ivy", now.Add(time.Second))
	meshtest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		if len(audits(t, m, "env-silent", "escalated")) == 0 {
			return fmt.Errorf("no escalation yet")
		}
		return nil
	})
	if since := time.Since(now); since < 3*time.Second {
		t.Fatalf("escalated after %s, before escalate_unsigned_after", since)
	}
	// Both deadlines were due at the same time: by the time hank's
	// escalation is on the channel, ivy's job has run (or been skipped).
	meshtest.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		if len(hooks.find("countersign.escalation", "env-silent", "hank")) == 0 {
			return fmt.Errorf("hank's escalation not on the channel yet")
		}
		return nil
	})
	esc := audits(t, m, "env-silent", "escalated")
	if len(esc) != 1 || esc[0].Recipient.ID != "hank" || esc[0].Detail["reason"] != "unsigned" {
		t.Errorf("escalated %+v, want one for hank, reason unsigned", esc)
	}
	if n := len(hooks.find("countersign.escalation", "env-silent", "")); n != 1 {
		t.Errorf("%d escalations on the channel, want 1", n)
	}
}
