package sandbox_test

import (
	"context"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/registry"
	"github.com/countersign/countersign/tests/sandbox"
)

// TestCountersignAdaptersAcceptSandboxCallbacks sends the sandbox's
// independently signed callbacks through countersign's own provider
// adapters: every genuine one must authenticate and parse into events for
// its envelope, every forgery must fail authentication.
func TestCountersignAdaptersAcceptSandboxCallbacks(t *testing.T) {
	secrets := sandbox.Secrets{
		StandardWebhooks:   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		DocuSignKey:        "docusign-test-key",
		DropboxAPIKey:      "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782",
		AdobeClientID:      "adobe-client-1",
		ESignAnyWhereToken: "esaw-token-1",
		PandaDocKey:        "pandadoc-test-key",
	}
	cfgs := []config.Provider{
		{Kind: providers.KindStandardWebhooks, Secrets: []config.Secret{config.NewSecret(secrets.StandardWebhooks)}, Tolerance: config.Duration(5 * time.Minute)},
		{Kind: providers.KindDocuSign, HMACKeys: []config.Secret{config.NewSecret(secrets.DocuSignKey)}},
		{Kind: providers.KindDropboxSign, APIKey: config.NewSecret(secrets.DropboxAPIKey)},
		{Kind: providers.KindAdobeSign, ClientIDs: []string{secrets.AdobeClientID}},
		{Kind: providers.KindESignAnyWhere, CallbackToken: config.NewSecret(secrets.ESignAnyWhereToken)},
		// PandaDoc by configuration alone: README's preset.
		{Kind: providers.KindHMAC, Secrets: []config.Secret{config.NewSecret(secrets.PandaDocKey)}, HMAC: config.HMAC{
			Name:      sandbox.KindPandaDoc,
			Signature: &config.HMACSignature{From: "query:signature", Encoding: "hex", Algorithm: "sha256"},
			Events: &config.HMACEvents{Type: "/event", Status: "/data/status", EnvelopeID: "/data/id",
				OccurredAt: "/data/date_modified", RecipientEmail: "/data/action_by/email"},
			Types: map[string]string{
				"document_state_changed:document.sent":      "sent",
				"document_state_changed:document.viewed":    "delivered",
				"document_state_changed:document.completed": "completed",
				"document_state_changed:document.declined":  "declined",
				"document_state_changed:document.voided":    "voided",
				"recipient_completed":                       "recipient_signed",
			},
		}},
	}
	adapters := map[string]providers.Adapter{}
	for _, c := range cfgs {
		a, err := registry.New(c)
		if err != nil {
			t.Fatalf("adapter %s: %v", c.Kind, err)
		}
		adapters[a.Kind()] = a
	}
	var (
		mu       sync.Mutex
		rejected int
		types    = map[string]map[envelope.Type]bool{} // envelope key → parsed types
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/webhooks/{tenant}/{provider}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a := adapters[r.PathValue("provider")]
		req := &providers.Request{Method: r.Method, Header: r.Header, Query: r.URL.Query(), Body: body, ReceivedAt: time.Now()}
		if err := a.Authenticate(req, time.Now()); err != nil {
			mu.Lock()
			rejected++
			mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		evs, err := a.Parse(r.PathValue("tenant"), req)
		if err != nil {
			t.Errorf("%s parse: %v\n%s %s", a.Kind(), err, r.URL, body)
		}
		mu.Lock()
		for _, ev := range evs {
			k := ev.Tenant + "/" + ev.Provider + "/" + ev.EnvelopeID
			if types[k] == nil {
				types[k] = map[envelope.Type]bool{}
			}
			types[k][ev.Type] = true
		}
		mu.Unlock()
		resp := a.Respond(req)
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	sb, err := sandbox.New(sandbox.Config{Target: srv.URL, Tenant: "acme", Secrets: secrets, ForgedPct: 0.2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	envs := sandbox.Generate(rand.New(rand.NewSource(9)), 40, nil, "acme")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := sb.Fire(ctx, envs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Delivered != rep.Callbacks || rep.BadAck != 0 || rep.Non2xx != 0 {
		t.Fatalf("genuine callbacks not all accepted: %+v", rep)
	}
	if rep.Forged == 0 || rep.Rejected401 != rep.Forged || rejected != rep.Forged {
		t.Fatalf("forged %d, 401 %d, adapters rejected %d", rep.Forged, rep.Rejected401, rejected)
	}
	for _, e := range envs {
		got := types[e.Key()]
		for _, st := range e.Script {
			// DocuSign's expiry and eSignAnyWhere's void send nothing.
			silent := (e.Provider == sandbox.KindDocuSign && st.Type == envelope.TypeExpired) ||
				(e.Provider == sandbox.KindESignAnyWhere && st.Type == envelope.TypeVoided)
			if !silent && !got[st.Type] {
				t.Errorf("%s: step %s parsed into %v", e.Key(), st.Type, got)
			}
		}
	}
}
