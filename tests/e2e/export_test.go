package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/meshtest/mesh"
	"github.com/countersign/countersign/tests/demo"
	"github.com/countersign/countersign/tests/sandbox"
)

// apiKinds are the providers with an API: the ones exported.
var apiKinds = []string{sandbox.KindDocuSign, sandbox.KindDropboxSign, sandbox.KindAdobeSign, sandbox.KindESignAnyWhere}

// sandboxDocs maps an exported artefact to the sandbox document it must
// hold byte for byte, per provider.
var sandboxDocs = map[string]map[string]string{
	sandbox.KindDocuSign:      {"signed.pdf": "combined", "audit.pdf": "certificate"},
	sandbox.KindDropboxSign:   {"signed.pdf": "pdf"},
	sandbox.KindAdobeSign:     {"signed.pdf": "combinedDocument", "audit.pdf": "auditTrail"},
	sandbox.KindESignAnyWhere: {"signed.pdf": "document", "audit.pdf": "audittrail"},
}

// exportRig is a mesh exporting to one target, its providers' APIs served
// by a sandbox behind a switchable fault wrapper.
type exportRig struct {
	m      *mesh.Mesh
	sb     *sandbox.Sandbox
	target target.Target
	purge  bool
	// fault, when set, may answer an API request itself (true) instead
	// of the sandbox.
	fault atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool]
}

func startExportRig(t *testing.T, exportYAML string, et config.ExportTarget, creds target.Credentials, purge bool, api sandbox.APIConfig) *exportRig {
	return startExportRigNotify(t, exportYAML, "", et, creds, purge, api)
}

// startExportRigNotify is startExportRig with the tenant's notify: section.
func startExportRigNotify(t *testing.T, exportYAML, notifyYAML string, et config.ExportTarget, creds target.Credentials, purge bool, api sandbox.APIConfig) *exportRig {
	t.Helper()
	rig := &exportRig{purge: purge}
	var h atomic.Pointer[http.Handler]
	apiSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := rig.fault.Load(); f != nil && (*f)(w, r) {
			return
		}
		if hh := h.Load(); hh != nil {
			(*hh).ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(apiSrv.Close)
	dev := demo.DevAPI()
	api.DocuSignToken, api.AdobeToken, api.ESignAnyWhereToken, api.DocuSignAccount = dev.DocuSignToken, dev.AdobeToken, dev.ESignAnyWhereToken, dev.DocuSignAccount
	rig.m = startMesh(t, demo.RenderConfig(demo.ConfigParams{
		AdminToken: mesh.AdminToken, Tenant: "acme", Secrets: demo.DevSecrets(),
		APIBaseURL: apiSrv.URL, API: api, PersistTimeout: "2s", Export: exportYAML, Notify: notifyYAML,
	}))
	sb, err := sandbox.New(sandbox.Config{
		Target: rig.m.IngressURL, Tenant: "acme", Secrets: demo.DevSecrets(), API: api,
		DuplicatePct: 0.2, Reorder: true, Redeliveries: 5, Seed: 11,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	rig.sb = sb
	handler := sb.APIHandler()
	h.Store(&handler)
	rig.target, err = target.Open(context.Background(), et, creds, rig.m.NATS.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	return rig
}

// exportStatus GETs (or POSTs) an envelope's export.
func exportCall(t *testing.T, m *mesh.Mesh, method, id string) (int, exportapi.Status, string) {
	t.Helper()
	req, _ := http.NewRequest(method, m.AdminURL+"/v1/tenants/acme/envelopes/"+envelope.Token(id)+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+mesh.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s export: %v", method, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var st exportapi.Status
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("%s export: %v: %s", method, err, body)
		}
	}
	return resp.StatusCode, st, string(body)
}

// fire plays n envelopes of every API provider with the given seed.
func (rig *exportRig) fire(t *testing.T, seed int64, n int) []*sandbox.Envelope {
	t.Helper()
	envs := sandbox.Generate(rand.New(rand.NewSource(seed)), n, apiKinds, "acme")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := rig.sb.Fire(ctx, envs); err != nil {
		t.Fatalf("fire: %v", err)
	}
	return envs
}

// waitExported waits until every completed envelope of envs is exported
// (and purged, or purge-unsupported, when the rig purges).
func (rig *exportRig) waitExported(t *testing.T, envs []*sandbox.Envelope, timeout time.Duration) map[string]exportapi.Status {
	t.Helper()
	out := map[string]exportapi.Status{}
	meshtest.CheckFor(t, timeout, 200*time.Millisecond, func() error {
		for _, e := range envs {
			if e.Truth != envelope.StateCompleted {
				continue
			}
			if _, done := out[e.ID]; done {
				continue
			}
			code, st, body := exportCall(t, rig.m, http.MethodGet, e.ID)
			if code != http.StatusOK || st.State != exportapi.StateExported {
				return fmt.Errorf("%s %s: %d %s", e.Provider, e.ID, code, body)
			}
			if rig.purge && st.PurgedAt == nil && !strings.Contains(st.Error, "purge unsupported") {
				return fmt.Errorf("%s %s: exported, purge pending: %s", e.Provider, e.ID, body)
			}
			out[e.ID] = st
		}
		return nil
	})
	return out
}

// checkExport checks one exported envelope in the target, byte for byte:
// the provider's documents as the sandbox serves them, a ledger that
// verifies and ends with the completing entry, and a manifest listing
// exactly what the target holds, with the ledger saying exported (and
// purged, as configured), each once.
func (rig *exportRig) checkExport(t *testing.T, e *sandbox.Envelope, st exportapi.Status) {
	t.Helper()
	ctx := context.Background()
	prefix := "acme/" + envelope.Token(e.ID) + "/"
	read := func(name string) []byte {
		rc, err := rig.target.Get(ctx, prefix+name)
		if err != nil {
			t.Fatalf("%s %s: %s: %v", e.Provider, e.ID, name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var man struct {
		Tenant      string               `json:"tenant"`
		Provider    string               `json:"provider"`
		EnvelopeID  string               `json:"envelope_id"`
		CompletedAt string               `json:"completed_at"`
		Artefacts   []exportapi.Artefact `json:"artefacts"`
	}
	manBytes := read("manifest.json")
	if err := json.Unmarshal(manBytes, &man); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if man.Tenant != "acme" || man.Provider != e.Provider || man.EnvelopeID != e.ID || man.CompletedAt == "" {
		t.Errorf("manifest header %+v", man)
	}
	want := []string{}
	for name := range sandboxDocs[e.Provider] {
		want = append(want, name)
	}
	if len(man.Artefacts) != len(want)+1 || man.Artefacts[len(man.Artefacts)-1].Name != "ledger.json" {
		t.Fatalf("%s: manifest artefacts %+v, want %v + ledger.json", e.Provider, man.Artefacts, want)
	}
	for _, a := range man.Artefacts {
		b := read(a.Name)
		sum := sha256.Sum256(b)
		if int64(len(b)) != a.Size || hex.EncodeToString(sum[:]) != a.SHA256 {
			t.Errorf("%s %s: %s: target holds %d bytes %x, manifest says %d %s", e.Provider, e.ID, a.Name, len(b), sum, a.Size, a.SHA256)
		}
		if what, ok := sandboxDocs[e.Provider][a.Name]; ok {
			r, n := rig.sb.Document(e.Provider, e.ID, what)
			doc, _ := io.ReadAll(r)
			if int64(len(doc)) != n || !bytes.Equal(doc, b) {
				t.Errorf("%s %s: %s is not the provider's document byte for byte", e.Provider, e.ID, a.Name)
			}
		}
	}
	if len(st.Artefacts) != len(man.Artefacts) {
		t.Errorf("GET export lists %d artefacts, manifest %d", len(st.Artefacts), len(man.Artefacts))
	}
	var ledger struct {
		Entries  []json.RawMessage `json:"entries"`
		Verified bool              `json:"verified"`
	}
	if err := json.Unmarshal(read("ledger.json"), &ledger); err != nil || !ledger.Verified {
		t.Fatalf("ledger.json: %v", err)
	}
	raw := make([][]byte, len(ledger.Entries))
	for i, e := range ledger.Entries {
		raw[i] = e
	}
	if err := envelope.VerifyChain(raw); err != nil {
		t.Errorf("ledger.json does not verify: %v", err)
	}
	var last envelope.Entry
	_ = json.Unmarshal(raw[len(raw)-1], &last)
	if last.State != envelope.StateCompleted || (last.Type != envelope.TypeCompleted && last.Type != envelope.TypeCorrected) {
		t.Errorf("ledger.json ends with %s/%s, want the completing entry", last.Type, last.State)
	}
	// The live ledger: exported once, with the manifest's hash; purged
	// once when configured and supported.
	manSum := sha256.Sum256(manBytes)
	counts := map[envelope.Type]int{}
	for _, entry := range rig.ledger(t, e.ID) {
		counts[entry.Type]++
		if entry.Type == envelope.TypeExported {
			var d map[string]string
			_ = json.Unmarshal(entry.Detail, &d)
			if d["manifest_sha256"] != hex.EncodeToString(manSum[:]) || d["location"] != st.Location || entry.Source != envelope.SourceExport {
				t.Errorf("exported entry %s, want manifest %x at %s", entry.Detail, manSum, st.Location)
			}
		}
	}
	purges := rig.sb.Purges(e.Provider, e.ID)
	wantPurged := 0
	if rig.purge && e.Provider != sandbox.KindDropboxSign {
		wantPurged = 1
	}
	if counts[envelope.TypeExported] != 1 || counts[envelope.TypePurged] != wantPurged || purges != wantPurged {
		t.Errorf("%s %s: ledger has %d exported, %d purged; provider saw %d purges; want 1, %d, %d",
			e.Provider, e.ID, counts[envelope.TypeExported], counts[envelope.TypePurged], purges, wantPurged, wantPurged)
	}
}

// ledger returns an envelope's ledger entries from the admin API, which
// must say they verify.
func (rig *exportRig) ledger(t *testing.T, id string) []envelope.Entry {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rig.m.AdminURL+"/v1/tenants/acme/envelopes/"+envelope.Token(id)+"/ledger", nil)
	req.Header.Set("Authorization", "Bearer "+mesh.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct {
		Entries  []envelope.Entry `json:"entries"`
		Verified bool             `json:"verified"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || !l.Verified {
		t.Fatalf("ledger %s: %v (verified %v)", id, err, l.Verified)
	}
	return l.Entries
}

// TestExportEveryProviderEveryTarget: envelopes of every provider with an
// API, driven by callbacks, land byte-exact and verified in each target
// (the JetStream object store without purge; a directory and an S3
// bucket on versitygw with purge_at_provider), each exactly once in the
// ledger; voided, declined and expired envelopes are not exported; a
// re-export writes the same bytes and adds no ledger entry.
func TestExportEveryProviderEveryTarget(t *testing.T) {
	s3 := meshtest.StartS3(t)
	s3.MakeBucket(t, "dms")
	dir := t.TempDir()
	cases := []struct {
		name, yaml, url string
		purge           bool
	}{
		{"nats-object", `{target: "nats-object://exports"}`, "nats-object://exports", false},
		{"file", fmt.Sprintf(`{target: "file://%s", purge_at_provider: true}`, dir), "file://" + dir, true},
		{"s3", fmt.Sprintf(`{target: "s3://dms/countersign?endpoint=%s&region=us-east-1", access_key: %q, secret_key: %q, purge_at_provider: true}`, s3.Endpoint, s3.AccessKey, s3.SecretKey),
			"s3://dms/countersign?endpoint=" + s3.Endpoint + "&region=us-east-1", true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			et, err := config.ParseExportTarget(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			rig := startExportRig(t, tc.yaml, et, target.Credentials{AccessKey: s3.AccessKey, SecretKey: s3.SecretKey}, tc.purge,
				sandbox.APIConfig{DocumentBytes: 256 << 10, DropboxFilesNotReady: 1})
			envs := rig.fire(t, int64(300+i), 16)
			done := rig.waitExported(t, envs, 90*time.Second)
			completed := 0
			for _, e := range envs {
				if e.Truth != envelope.StateCompleted {
					code, _, body := exportCall(t, rig.m, http.MethodGet, e.ID)
					if code != http.StatusNotFound || !strings.Contains(body, "not exported") {
						t.Errorf("%s %s (%s): GET export = %d %s, want 404 not exported", e.Provider, e.ID, e.Truth, code, body)
					}
					continue
				}
				completed++
				rig.checkExport(t, e, done[e.ID])
			}
			if completed < len(apiKinds) {
				t.Fatalf("only %d completed envelopes: the run exercises too little", completed)
			}
			// Re-export one: same keys, same bytes, no new ledger entry.
			for _, e := range envs {
				if e.Truth != envelope.StateCompleted {
					continue
				}
				before := rig.ledger(t, e.ID)
				code, _, body := exportCall(t, rig.m, http.MethodPost, e.ID)
				if code != http.StatusAccepted {
					t.Fatalf("POST export: %d %s", code, body)
				}
				again := rig.waitExported(t, []*sandbox.Envelope{e}, 30*time.Second)
				if again[e.ID].Artefacts[0] != done[e.ID].Artefacts[0] {
					t.Errorf("re-export changed %+v to %+v", done[e.ID].Artefacts, again[e.ID].Artefacts)
				}
				rig.checkExport(t, e, again[e.ID])
				if after := rig.ledger(t, e.ID); len(after) != len(before) {
					t.Errorf("re-export added %d ledger entries", len(after)-len(before))
				}
				break
			}
		})
	}
}
