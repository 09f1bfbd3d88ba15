package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/tests/sandbox"
)

// notifyDropboxConfig: Dropbox Sign with its API (the sandbox's) and a
// playbook with a compressed reminder and an alternate for the CFO.
func notifyDropboxConfig(apiURL, hookURL string) string {
	return `
admin:
  tokens: ["` + mesh.AdminToken + `"]
tenants:
  - id: acme
    rate_limit: {rate: 100000, burst: 100000}
    providers:
      - kind: dropboxsign
        api_key: "` + dropboxAPIKey + `"
        api: {base_url: "` + apiURL + `", rate: 100, burst: 100}
        reconcile: {interval: 1h, incident_interval: 30m}
    notify:
      reminders: [3s]
      escalate_after_failures: 2
      alternates: {"cfo@acme.example": "deputy-cfo@acme.example"}
      channels:
        - kind: webhook
          url: "` + hookURL + `"
          secret: "` + specSecret + `"
`
}

// TestNotifierFromProviderCallbacks: from Dropbox Sign's own callbacks
// (through the sandbox, confirmed against its API): a reminder goes
// through the provider's remind call, two bounces of the CFO — which the
// API cannot show, and which are kept — escalate, and the CFO is replaced
// by the alternate through the provider's update call; each is in the
// ledger once.
func TestNotifierFromProviderCallbacks(t *testing.T) {
	hooks := newHookSink(t, 0)
	apiSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(apiSrv.Close)
	m := startMesh(t, notifyDropboxConfig(apiSrv.URL, hooks.URL))
	sb := newSandbox(t, m.IngressURL, sandbox.APIConfig{}, nil)
	apiSrv.Config.Handler = sb.APIHandler()

	at := time.Now().UTC().Truncate(time.Second)
	env := &sandbox.Envelope{
		Provider: sandbox.KindDropboxSign, Tenant: "acme", ID: "sr-notify-1",
		Recipients: []sandbox.Recipient{
			{ID: "sig-cfo", Email: "cfo@acme.example"},
			{ID: "sig-ceo", Email: "ceo@acme.example"},
		},
		Script: []sandbox.Step{
			{Type: envelope.TypeSent, Recipient: -1, At: at},
			{Type: envelope.TypeRecipientDeliveryFailed, Recipient: 0, At: at.Add(time.Second)},
			{Type: envelope.TypeRecipientDeliveryFailed, Recipient: 0, At: at.Add(2 * time.Second)},
		},
		Truth: envelope.StateSent,
	}
	if _, err := sb.Fire(t.Context(), []*sandbox.Envelope{env}); err != nil {
		t.Fatal(err)
	}

	meshtest.CheckFor(t, 30*time.Second, 200*time.Millisecond, func() error {
		if len(audits(t, m, env.ID, "recipient_replaced")) == 0 || len(audits(t, m, env.ID, "reminder_sent")) == 0 {
			return fmt.Errorf("no replacement and reminder in the ledger yet")
		}
		return nil
	})
	esc := audits(t, m, env.ID, "escalated")
	if len(esc) != 1 || esc[0].Detail["reason"] != "failures" || esc[0].Recipient.ID != "sig-cfo" {
		t.Errorf("escalated %+v, want one for sig-cfo, reason failures", esc)
	}
	rep := audits(t, m, env.ID, "recipient_replaced")
	if len(rep) != 1 || rep[0].Detail["from"] != "cfo@acme.example" || rep[0].Detail["to"] != "deputy-cfo@acme.example" {
		t.Errorf("recipient_replaced %+v", rep)
	}
	var replaced, reminded int
	for _, a := range sb.Actions() {
		switch {
		case a.Kind == "replace" && a.EnvelopeID == env.ID && a.Fields["signature_id"] == "sig-cfo" && a.Fields["email_address"] == "deputy-cfo@acme.example":
			replaced++
		case a.Kind == "remind" && a.EnvelopeID == env.ID:
			reminded++
		}
	}
	if replaced != 1 {
		t.Errorf("the provider got %d update calls replacing the CFO, want 1 (%+v)", replaced, sb.Actions())
	}
	// The CEO is reminded through the provider (the CFO's timers were
	// cancelled by the replacement, or his reminder went out before it).
	meshtest.CheckFor(t, 20*time.Second, 200*time.Millisecond, func() error {
		for _, e := range audits(t, m, env.ID, "reminder_sent") {
			if e.Recipient.ID == "sig-ceo" && e.Detail["via"] == "provider" {
				return nil
			}
		}
		return fmt.Errorf("no provider reminder for the CEO yet")
	})
	if reminded == 0 {
		for _, a := range sb.Actions() {
			if a.Kind == "remind" {
				reminded++
			}
		}
	}
	if reminded == 0 {
		t.Error("the provider got no remind call")
	}
	if len(hooks.find("countersign.escalation", env.ID, "sig-cfo")) != 1 {
		t.Error("the escalation did not reach the channel once")
	}
}
