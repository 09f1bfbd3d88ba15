package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/services/countersignctl"
	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/tests/sandbox"
)

// ctlConfig has a Standard Webhooks sender (callbacks, poison) and a
// DocuSign with api: at the sandbox (so reconcile has something to run).
func ctlConfig(apiURL string) string {
	return fmt.Sprintf(`
admin:
  tokens:
    - %q
    - {token: %q, name: acme-viewer, role: read, tenants: [acme]}
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
    notify: {reminders: [24h]}
`, mesh.AdminToken, ctlReadToken, specSecret, docuSignKey, apiURL, docuSignToken, sandbox.DefaultDocuSignAcct)
}

// ctlReadToken may only read tenant acme.
const ctlReadToken = "ctl-acme-read-token"

// ctl runs countersignctl in-process against m's admin API, with the URL
// and token from the environment as an operator would set them.
func ctl(t *testing.T, m *mesh.Mesh, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env := map[string]string{"COUNTERSIGN_ADMIN_URL": m.AdminURL, "COUNTERSIGN_ADMIN_TOKEN": mesh.AdminToken}
	var out, errOut bytes.Buffer
	code = countersignctl.Run(context.Background(), args, countersignctl.IO{
		Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] },
	})
	return code, out.String(), errOut.String()
}

// wantExit runs a command line and fails unless it exits with want and
// its stdout (or stderr, for failures) contains every string of has.
func wantExit(t *testing.T, m *mesh.Mesh, want int, has []string, args ...string) string {
	t.Helper()
	code, out, errOut := ctl(t, m, args...)
	if code != want {
		t.Fatalf("countersignctl %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	for _, s := range has {
		if !strings.Contains(out+errOut, s) {
			t.Errorf("countersignctl %s: output without %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), s, out, errOut)
		}
	}
	return out
}

// lastEntry returns the last ledger entry of acme/id as published.
func lastEntry(t *testing.T, m *mesh.Mesh, id string) envelope.Entry {
	t.Helper()
	var l ledgerView
	if code := adminGet(t, m, envelopePath("acme", id)+"/ledger", &l); code != http.StatusOK || len(l.Entries) == 0 {
		t.Fatalf("ledger of %s: %d, %d entries", id, code, len(l.Entries))
	}
	var e envelope.Entry
	if err := json.Unmarshal(l.Entries[len(l.Entries)-1], &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// publishForged appends an entry to acme/id's ledger behind statesync's
// back, as someone with write access to the stream could.
func publishForged(t *testing.T, m *mesh.Mesh, e envelope.Entry) {
	t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.NATS.JS.Publish(t.Context(), e.Subject(), data); err != nil {
		t.Fatalf("publish forged entry: %v", err)
	}
}

// Every countersignctl command against a real mesh, with each exit code:
// 0 for what works, 1 for a refused token, an unknown envelope, a provider
// that is not reconciled, or an endpoint this deployment does not serve,
// 2 for usage, 3 for a ledger that does not verify — including a forged
// entry the server itself calls verified.
func TestCountersignctl(t *testing.T) {
	apiSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(apiSrv.Close)
	m := startMesh(t, ctlConfig(apiSrv.URL))
	sb := newSandbox(t, "", sandbox.APIConfig{}, nil)
	apiSrv.Config.Handler = sb.APIHandler()
	client := &http.Client{Timeout: 10 * time.Second}

	now := time.Now()
	for i, typ := range []string{"document.sent", "recipient.signed", "document.completed"} {
		for _, id := range []string{"ctl-ok", "ctl-forged", "ctl-tampered"} {
			d := swDelivery{ID: fmt.Sprintf("msg_%s_%d", id, i), TS: now, Body: swEvent(typ, id, "r1", now.Add(time.Duration(i)*time.Minute))}
			if resp := post(t, client, m.IngressURL, "acme", specSecret, d); resp.StatusCode != http.StatusOK {
				t.Fatalf("callback: %s", resp.Status)
			}
		}
	}
	for _, id := range []string{"ctl-ok", "ctl-forged", "ctl-tampered"} {
		meshtest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
			var v envelopeView
			if code := adminGet(t, m, envelopePath("acme", id), &v); code != http.StatusOK || v.LedgerSeq != 3 {
				return fmt.Errorf("%s: %d, seq %d", id, code, v.LedgerSeq)
			}
			return nil
		})
	}

	t.Run("envelope show", func(t *testing.T) {
		wantExit(t, m, 0, []string{"completed", "standardwebhooks", "r1@example.com", "signed", "seq 3"}, "envelope", "show", "acme", "ctl-ok")
		out := wantExit(t, m, 0, nil, "--json", "envelope", "show", "acme", "ctl-ok")
		var v envelopeView
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.State != "completed" || v.LedgerSeq != 3 {
			t.Errorf("--json: %v %+v", err, v)
		}
		wantExit(t, m, 1, []string{"404", "unknown envelope"}, "envelope", "show", "acme", "no-such-envelope")
		code, _, errOut := countersignctlWithToken(m, "wrong-token", "envelope", "show", "acme", "ctl-ok")
		if code != 1 || !strings.Contains(errOut, "401") {
			t.Errorf("wrong token: exit %d, %q; want 1 and 401", code, errOut)
		}
		wantExit(t, m, 2, nil, "envelope", "show", "acme")
	})

	t.Run("ledger verify", func(t *testing.T) {
		wantExit(t, m, 0, []string{"chain verified here: 3 entries", "recipient_signed", "completed"}, "ledger", "verify", "acme", "ctl-ok")
		out := wantExit(t, m, 0, nil, "ledger", "verify", "acme", "ctl-ok", "--json")
		var l ledgerView
		if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Entries) != 3 || !l.Verified {
			t.Errorf("--json: %v, %d entries, verified %v", err, len(l.Entries), l.Verified)
		}

		// An entry with content that does not match its hash.
		head := lastEntry(t, m, "ctl-tampered")
		bad := head
		bad.Seq, bad.PrevHash, bad.ID, bad.Type, bad.State = head.Seq+1, head.Hash, "forged-1", envelope.TypeVoided, envelope.StateVoided
		bad.Hash = strings.Repeat("ab", 32)
		publishForged(t, m, bad)
		wantExit(t, m, 3, []string{"chain BROKEN", "seq 4"}, "ledger", "verify", "acme", "ctl-tampered")

		// A forged entry hashed correctly onto the chain: the server's own
		// check calls it verified, but the chain runs past the envelope
		// record's head, and the CLI says so.
		head = lastEntry(t, m, "ctl-forged")
		forged := head
		forged.Seq, forged.PrevHash, forged.ID, forged.Type, forged.State = head.Seq+1, head.Hash, "forged-2", envelope.TypeVoided, envelope.StateVoided
		h, err := forged.ComputeHash()
		if err != nil {
			t.Fatal(err)
		}
		forged.Hash = h
		publishForged(t, m, forged)
		var l2 ledgerView
		meshtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			if adminGet(t, m, envelopePath("acme", "ctl-forged")+"/ledger", &l2); len(l2.Entries) != 4 {
				return fmt.Errorf("%d entries", len(l2.Entries))
			}
			return nil
		})
		if !l2.Verified {
			t.Fatalf("the server should call the well-hashed forgery verified (that is the point of this case)")
		}
		wantExit(t, m, 3, []string{"record ends at seq 3"}, "ledger", "verify", "acme", "ctl-forged")
		wantExit(t, m, 1, []string{"404"}, "ledger", "verify", "acme", "no-such-envelope")
	})

	t.Run("dlq list and replay", func(t *testing.T) {
		wantExit(t, m, 0, []string{"no dead letters match"}, "dlq", "list")
		poison := swDelivery{ID: "msg_ctl_poison", TS: time.Now(), Body: []byte(`{"type":"document.sent","data":`)}
		if resp := post(t, client, m.IngressURL, "acme", specSecret, poison); resp.StatusCode != http.StatusOK {
			t.Fatalf("poison: %s", resp.Status)
		}
		e := dlqEntries(t, m, "/v1/dlq?tenant=acme", 1)[0]
		wantExit(t, m, 0, []string{e.ID, "verifier", "permanent", "1 dead letters"}, "dlq", "list", "--tenant", "acme", "--service", "verifier", "--class", "permanent")
		wantExit(t, m, 0, []string{"no dead letters match"}, "dlq", "list", "--class", "panic")
		out := wantExit(t, m, 0, nil, "--json", "dlq", "list")
		var list struct {
			Entries []dlqEntry `json:"entries"`
		}
		if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Entries) != 1 || list.Entries[0].ID != e.ID {
			t.Errorf("--json: %v %+v", err, list)
		}

		wantExit(t, m, 0, []string{"dry run: 1 dead letters match", "--yes"}, "replay", "--ids", e.ID)
		wantExit(t, m, 0, []string{"dry run: 1 dead letters match"}, "replay", "--since", "1h", "--tenant", "acme", "--class", "permanent")
		if got := dlqEntries(t, m, "/v1/dlq?tenant=acme", 1)[0]; got.ReplayedAt != nil {
			t.Fatalf("a dry run replayed %s", got.ID)
		}
		wantExit(t, m, 0, []string{"replayed 1 of 1"}, "replay", "--ids", e.ID, "--yes")
		// Still poison: the replay is dead-lettered again, as a new entry.
		dlqEntries(t, m, "/v1/dlq?tenant=acme", 2)
		wantExit(t, m, 0, []string{"replayed 0 of 1", "1 skipped"}, "replay", "--ids", e.ID, "--yes")
		wantExit(t, m, 1, []string{"no dead letter with id nope"}, "replay", "--ids", "nope", "--yes")
		wantExit(t, m, 2, nil, "replay", "--yes")
	})

	t.Run("reconcile", func(t *testing.T) {
		wantExit(t, m, 0, []string{"reconciled acme/docusign", "checked"}, "reconcile", "acme", "docusign", "--since", "2h")
		out := wantExit(t, m, 0, nil, "--json", "reconcile", "acme", "docusign")
		var a reconcileAnswer
		if err := json.Unmarshal([]byte(out), &a); err != nil || a.Tenant != "acme" || a.Provider != "docusign" {
			t.Errorf("--json: %v %+v", err, a)
		}
		wantExit(t, m, 1, []string{"404"}, "reconcile", "acme", "standardwebhooks")
		wantExit(t, m, 2, nil, "reconcile", "acme", "docusign", "--since", "soon")
		// The tenant alone: what the reconciler keeps per provider.
		wantExit(t, m, 0, []string{"PROVIDER", "docusign"}, "reconcile", "acme")
		out = wantExit(t, m, 0, nil, "reconcile", "acme", "--json")
		if !strings.Contains(out, `"provider":"docusign"`) || !strings.Contains(out, `"last_round"`) {
			t.Errorf("reconcile acme --json: %s", out)
		}
		wantExit(t, m, 2, nil, "reconcile", "acme", "--since", "1h")
		wantExit(t, m, 2, nil, "reconcile", "acme", "docusign", "extra")
	})

	t.Run("envelope list and audit", func(t *testing.T) {
		wantExit(t, m, 0, []string{"ctl-ok", "ctl-forged", "ctl-tampered", "3 envelopes (3 scanned)"}, "envelope", "list", "acme")
		if out := wantExit(t, m, 0, []string{"ctl-ok", "1 envelopes"}, "envelope", "list", "acme", "--q", "OK", "--state", "completed"); strings.Contains(out, "ctl-forged") {
			t.Errorf("--q OK lists ctl-forged:\n%s", out)
		}
		wantExit(t, m, 0, []string{"no envelopes match"}, "envelope", "list", "acme", "--state", "voided")
		wantExit(t, m, 1, []string{"400"}, "envelope", "list", "acme", "--state", "bogus")
		// The replay and the reconcile rounds above, by token name.
		wantExit(t, m, 0, []string{"token#0", "POST /v1/replay", "POST /v1/reconcile"}, "audit", "--tenant", "acme")
		// A scoped token sees its tenants' records.
		code, out, errOut := countersignctlWithToken(m, ctlReadToken, "audit")
		if code != 0 || !strings.Contains(out, "POST /v1/reconcile") {
			t.Errorf("audit with acme's read token: exit %d\n%s%s", code, out, errOut)
		}
	})

	// A read token reads and verifies, and every action is refused with
	// 403 (exit 1) — as is a listing of every tenant, which it may not see.
	t.Run("read-only token", func(t *testing.T) {
		code, out, errOut := countersignctlWithToken(m, ctlReadToken, "ledger", "verify", "acme", "ctl-ok")
		if code != 0 || !strings.Contains(out, "chain verified here") {
			t.Errorf("ledger verify with a read token: exit %d\n%s%s", code, out, errOut)
		}
		if code, out, _ := countersignctlWithToken(m, ctlReadToken, "dlq", "list", "--tenant", "acme"); code != 0 || !strings.Contains(out, "dead letters") {
			t.Errorf("dlq list --tenant acme with a read token: exit %d\n%s", code, out)
		}
		for _, args := range [][]string{
			{"replay", "--since", "1h", "--tenant", "acme", "--yes"},
			{"replay", "--since", "1h", "--tenant", "acme"}, // a dry run is a POST too
			{"reconcile", "acme", "docusign"},
			{"dlq", "list"},
			{"envelope", "show", "other", "x"},
		} {
			code, _, errOut := countersignctlWithToken(m, ctlReadToken, args...)
			if code != 1 || !strings.Contains(errOut, "403 forbidden") {
				t.Errorf("countersignctl %s with a read token: exit %d, %q; want 1 and 403", strings.Join(args, " "), code, errOut)
			}
		}
	})

	// Export and the notifier answer through services this deployment may
	// or may not run: the command prints what it got (exit 0), or one
	// line naming the answer — not served, not answering, no export for
	// an envelope whose provider has no API — and exits 1, never 2 or 3,
	// never a crash or a bogus success.
	t.Run("export and notify", func(t *testing.T) {
		for _, args := range [][]string{
			{"export", "show", "acme", "ctl-ok"},
			{"export", "run", "acme", "ctl-ok"},
		} {
			code, out, errOut := ctl(t, m, args...)
			switch {
			case code == 0 && out != "":
				t.Logf("%s:\n%s", strings.Join(args, " "), out)
			case code == 1 && out == "" && strings.HasPrefix(errOut, "countersignctl: ") && strings.Count(errOut, "\n") == 1:
				t.Logf("%s: %s", strings.Join(args, " "), strings.TrimSpace(errOut))
			default:
				t.Errorf("countersignctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
			}
		}
		wantExit(t, m, 2, nil, "export", "show", "acme")
	})

	t.Run("notify", func(t *testing.T) {
		wantExit(t, m, 0, []string{"configured", "true", "paused", "false", "pending_timers"}, "notify", "status", "acme")
		out := wantExit(t, m, 0, nil, "--json", "notify", "status", "acme")
		var st struct {
			Tenant     string `json:"tenant"`
			Configured bool   `json:"configured"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil || st.Tenant != "acme" || !st.Configured {
			t.Errorf("--json: %v %s", err, out)
		}
		wantExit(t, m, 0, []string{"resumed", "was_paused"}, "notify", "resume", "acme")
		code, _, errOut := countersignctlWithToken(m, ctlReadToken, "notify", "resume", "acme")
		if code != 1 || !strings.Contains(errOut, "403") {
			t.Errorf("notify resume with a read token: exit %d, %q; want 403", code, errOut)
		}
		wantExit(t, m, 1, []string{"404"}, "notify", "status", "nosuchtenant")
		wantExit(t, m, 2, nil, "notify", "resume")
	})
}

// countersignctlWithToken runs a command with the token given by flag,
// overriding the environment's.
func countersignctlWithToken(m *mesh.Mesh, token string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := countersignctl.Run(context.Background(), append([]string{"--url", m.AdminURL, "--token", token}, args...),
		countersignctl.IO{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
			// The flags win over the environment.
			return map[string]string{"COUNTERSIGN_ADMIN_URL": "http://127.0.0.1:1", "COUNTERSIGN_ADMIN_TOKEN": mesh.AdminToken}[k]
		}})
	return code, out.String(), errOut.String()
}

// countersignctl against an HTTPS admin listener with mTLS: it trusts the
// CA given by --cacert and presents --cert/--key (or the same from the
// environment); without the client certificate the connection is refused
// (exit 1); a missing file is a usage error (exit 2).
func TestCountersignctlOverMTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA := meshtest.NewCA(t, "server-ca"), meshtest.NewCA(t, "client-ca")
	cert, key := serverCA.Issue(t, "countersign")
	ccert, ckey := clientCA.Issue(t, "operator")
	files := map[string]string{
		"server.pem": string(cert), "server.key": string(key), "clients.pem": string(clientCA.PEM),
		"ca.pem": string(serverCA.PEM), "operator.pem": string(ccert), "operator.key": string(ckey),
	}
	for name, data := range files {
		files[name] = meshtest.WriteFile(t, dir, name, []byte(data))
	}
	m := startMesh(t, fmt.Sprintf(`
admin:
  tokens: [%q]
  tls: {cert_file: %q, key_file: %q, client_ca_file: %q}
tenants:
  - id: acme
    providers:
      - kind: standardwebhooks
        secrets: [%q]
`, mesh.AdminToken, files["server.pem"], files["server.key"], files["clients.pem"], specSecret))
	if !strings.HasPrefix(m.AdminURL, "https://") {
		t.Fatalf("admin URL %s: want https", m.AdminURL)
	}
	wantExit(t, m, 1, []string{"404 unknown envelope"}, "--cacert", files["ca.pem"], "--cert", files["operator.pem"], "--key", files["operator.key"],
		"envelope", "show", "acme", "nope")
	var out, errOut bytes.Buffer
	env := map[string]string{
		"COUNTERSIGN_ADMIN_URL": m.AdminURL, "COUNTERSIGN_ADMIN_TOKEN": mesh.AdminToken, "COUNTERSIGN_ADMIN_CACERT": files["ca.pem"],
		"COUNTERSIGN_ADMIN_CERT": files["operator.pem"], "COUNTERSIGN_ADMIN_KEY": files["operator.key"],
	}
	if code := countersignctl.Run(context.Background(), []string{"dlq", "list"}, countersignctl.IO{
		Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] },
	}); code != 0 || !strings.Contains(out.String(), "no dead letters match") {
		t.Errorf("with the TLS settings from the environment: exit %d\n%s%s", code, &out, &errOut)
	}
	code, _, msg := ctl(t, m, "--cacert", files["ca.pem"], "dlq", "list")
	if code != 1 || !strings.Contains(msg, "tls") {
		t.Errorf("without a client certificate: exit %d, %q; want 1 and a TLS error", code, msg)
	}
	wantExit(t, m, 2, []string{"--cacert"}, "--cacert", filepath.Join(dir, "missing.pem"), "dlq", "list")
	wantExit(t, m, 2, []string{"--cert and --key go together"}, "--cacert", files["ca.pem"], "--cert", files["operator.pem"], "dlq", "list")
}

// countersignctl's export commands against the real DMS export: a
// completed DocuSign envelope exported into the object store shows its
// state, location and artefacts with their checksums; `export run`
// exports again (same keys, same bytes); an envelope not completed has no
// export (exit 1, the server's reason).
func TestCountersignctlExport(t *testing.T) {
	et, err := config.ParseExportTarget("nats-object://exports")
	if err != nil {
		t.Fatal(err)
	}
	rig := startExportRig(t, `{target: "nats-object://exports"}`, et, target.Credentials{}, false, sandbox.APIConfig{})
	envs := sandbox.Generate(rand.New(rand.NewSource(5)), 6, []string{sandbox.KindDocuSign}, "acme")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := rig.sb.Fire(ctx, envs); err != nil {
		t.Fatal(err)
	}
	var done, open *sandbox.Envelope
	for _, e := range envs {
		switch {
		case e.Truth == envelope.StateCompleted && done == nil:
			done = e
		case !e.Truth.Terminal() && open == nil:
			open = e
		}
	}
	if done == nil {
		t.Fatal("no completed envelope among those generated: change the seed")
	}
	exported := rig.waitExported(t, []*sandbox.Envelope{done}, 60*time.Second)[done.ID]

	out := wantExit(t, rig.m, 0, []string{"exported", "nats-object://", "signed.pdf", "audit.pdf", "ledger.json"},
		"export", "show", "acme", done.ID)
	for _, a := range exported.Artefacts {
		if !strings.Contains(out, a.SHA256) {
			t.Errorf("export show does not list %s's sha256 %s:\n%s", a.Name, a.SHA256, out)
		}
	}
	out = wantExit(t, rig.m, 0, nil, "--json", "export", "show", "acme", done.ID)
	var st exportapi.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.State != exportapi.StateExported || len(st.Artefacts) != len(exported.Artefacts) {
		t.Errorf("--json: %v %+v", err, st)
	}
	wantExit(t, rig.m, 0, nil, "export", "run", "acme", done.ID)
	again := rig.waitExported(t, []*sandbox.Envelope{done}, 30*time.Second)[done.ID]
	if fmt.Sprint(again.Artefacts) != fmt.Sprint(exported.Artefacts) {
		t.Errorf("re-export: %+v, want the same artefacts %+v", again.Artefacts, exported.Artefacts)
	}
	if open != nil {
		wantExit(t, rig.m, 1, []string{"404", "not exported"}, "export", "show", "acme", open.ID)
	}
}
