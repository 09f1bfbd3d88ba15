package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/tests/sandbox"
)

// isDocument reports whether r downloads a document from a provider.
func isDocument(r *http.Request) bool {
	p := r.URL.Path
	return r.Method == http.MethodGet && (strings.Contains(p, "/documents/") || strings.Contains(p, "/signature_request/files/") ||
		strings.HasSuffix(p, "/combinedDocument") || strings.HasSuffix(p, "/auditTrail") || strings.HasPrefix(p, "/v6/file/"))
}

// cutMidway answers a document with its announced length but only half
// the bytes, then drops the connection: a download cut in the middle.
func cutMidway(w http.ResponseWriter, sb *sandbox.Sandbox, r *http.Request, size int64) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(make([]byte, size/2))
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
		}
	}
}

// TestExportSurvivesProviderFaults: the provider answers a fifth of API
// requests 503 (Retry-After) and the first downloads are cut midway; every
// completed envelope still lands byte-exact, and nothing torn is left.
func TestExportSurvivesProviderFaults(t *testing.T) {
	dir := t.TempDir()
	const docBytes = 1 << 20
	rig := startExportRig(t, fmt.Sprintf(`{target: "file://%s"}`, dir), config.ExportTarget{Scheme: config.SchemeFile, Dir: dir},
		target.Credentials{}, false, sandbox.APIConfig{DocumentBytes: docBytes, Rate5xxPct: 0.2})
	var cuts atomic.Int32
	cut := func(w http.ResponseWriter, r *http.Request) bool {
		if !isDocument(r) || cuts.Add(1) > 4 {
			return false
		}
		cutMidway(w, rig.sb, r, docBytes)
		return true
	}
	rig.fault.Store(&cut)
	envs := rig.fire(t, 501, 12)
	done := rig.waitExported(t, envs, 2*time.Minute)
	if cuts.Load() < 4 {
		t.Fatalf("only %d downloads were cut: the test exercises too little", cuts.Load())
	}
	for _, e := range envs {
		if e.Truth == envelope.StateCompleted {
			rig.checkExport(t, e, done[e.ID])
		}
	}
}

// TestExportTargetDownThenBack: with the S3 server down, exports stay
// pending with the failing stage in their error (retried with backoff);
// once it is back they all land byte-exact, exported once in the ledger.
func TestExportTargetDownThenBack(t *testing.T) {
	s3 := meshtest.StartS3(t)
	s3.MakeBucket(t, "dms")
	url := "s3://dms/exports?endpoint=" + s3.Endpoint + "&region=us-east-1"
	et, err := config.ParseExportTarget(url)
	if err != nil {
		t.Fatal(err)
	}
	rig := startExportRig(t, fmt.Sprintf(`{target: %q, access_key: %q, secret_key: %q}`, url, s3.AccessKey, s3.SecretKey), et,
		target.Credentials{AccessKey: s3.AccessKey, SecretKey: s3.SecretKey}, false, sandbox.APIConfig{DocumentBytes: 64 << 10})
	s3.Stop()
	envs := rig.fire(t, 502, 8)
	var first *sandbox.Envelope
	for _, e := range envs {
		if e.Truth == envelope.StateCompleted {
			first = e
			break
		}
	}
	if first == nil {
		t.Fatal("no completed envelope")
	}
	meshtest.CheckFor(t, time.Minute, 200*time.Millisecond, func() error {
		code, st, body := exportCall(t, rig.m, http.MethodGet, first.ID)
		if code != http.StatusOK || st.State != exportapi.StatePending || !strings.Contains(st.Error, "stage store") {
			return fmt.Errorf("want pending with a store error while S3 is down: %d %s", code, body)
		}
		return nil
	})
	s3.Start(t)
	done := rig.waitExported(t, envs, 2*time.Minute)
	for _, e := range envs {
		if e.Truth == envelope.StateCompleted {
			rig.checkExport(t, e, done[e.ID])
		}
	}
}

// TestExportFailureIsDeadLettered: documents the provider no longer has
// (404) fail the export for good at once: the export says failed with the
// stage and artefact, the DLQ holds the job with the same reason, and the
// tenant's webhook channel receives countersign.export_failed.
func TestExportFailureIsDeadLettered(t *testing.T) {
	dir := t.TempDir()
	hook := newHookSink(t, 0)
	rig := startExportRigNotify(t, fmt.Sprintf(`{target: "file://%s"}`, dir),
		fmt.Sprintf(`{channels: [{kind: webhook, url: %q, secret: %q}]}`, hook.URL, specSecret),
		config.ExportTarget{Scheme: config.SchemeFile, Dir: dir}, target.Credentials{}, false, sandbox.APIConfig{})
	gone := func(w http.ResponseWriter, r *http.Request) bool {
		if !isDocument(r) || !strings.Contains(r.URL.Path, "/restapi/") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errorCode":"DOCUMENT_DOES_NOT_EXIST","message":"gone"}`))
		return true
	}
	rig.fault.Store(&gone)
	envs := rig.fire(t, 503, 16)
	failed := 0
	for _, e := range envs {
		if e.Truth != envelope.StateCompleted || e.Provider != sandbox.KindDocuSign {
			continue
		}
		failed++
		meshtest.CheckFor(t, time.Minute, 200*time.Millisecond, func() error {
			code, st, body := exportCall(t, rig.m, http.MethodGet, e.ID)
			if code != http.StatusOK || st.State != exportapi.StateFailed || !strings.Contains(st.Error, "stage download, artefact signed.pdf") {
				return fmt.Errorf("%s: want failed at download of signed.pdf: %d %s", e.ID, code, body)
			}
			if n := hook.find("countersign.export_failed", e.ID, ""); len(n) != 1 || !strings.Contains(n[0].Data.Reason, "signed.pdf") {
				return fmt.Errorf("%s: export_failed notifications %+v, want one naming signed.pdf", e.ID, n)
			}
			return nil
		})
	}
	if failed == 0 {
		t.Fatal("no completed DocuSign envelope: the test proves nothing")
	}
	meshtest.CheckFor(t, 30*time.Second, 200*time.Millisecond, func() error {
		var a struct {
			Entries []dlqEntry `json:"entries"`
		}
		adminGet(t, rig.m, "/v1/dlq?service=dmsexport", &a)
		if len(a.Entries) != failed {
			return fmt.Errorf("%d dmsexport dead letters, want %d", len(a.Entries), failed)
		}
		for _, d := range a.Entries {
			if d.ErrorClass != "permanent" || !strings.Contains(d.Error, "stage download, artefact signed.pdf") || !strings.HasPrefix(d.Subject, "export.acme.") {
				return fmt.Errorf("dead letter %+v", d)
			}
		}
		return nil
	})
}
