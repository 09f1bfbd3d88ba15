package audit_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/audit"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/meshtest"
)

// The handler reads the whole body, however large, while the record
// keeps a small JSON body and says why it omits any other; reads are not
// recorded.
func TestMiddlewareRecordsActionsAndPassesBodies(t *testing.T) {
	n := meshtest.StartNATS(t)
	if err := bus.Setup(t.Context(), n.JS, bus.Topology{}); err != nil {
		t.Fatal(err)
	}
	rec := audit.NewRecorder(n.JS, slog.New(slog.DiscardHandler))
	var got []byte
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/tenants/{tenant}/act", func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("GET /v1/tenants/{tenant}/act", func(w http.ResponseWriter, r *http.Request) {})
	h := access.Trusted(rec.Middleware(mux))
	big := []byte(`{"ids":["` + strings.Repeat("x", 20<<10) + `"]}`)
	for _, body := range [][]byte{[]byte(`{"dry_run":true}`), big, []byte("not json")} {
		got = nil
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/tenants/acme/act", bytes.NewReader(body)))
		if !bytes.Equal(got, body) {
			t.Fatalf("handler read %d bytes of %d", len(got), len(body))
		}
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/tenants/acme/act", nil))
	recs, err := audit.NewReader(n.JS).List(t.Context(), audit.Query{Since: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3 (the GET is not an action): %+v", len(recs), recs)
	}
	if r := recs[0]; r.Token != "trusted" || r.Tenant != "acme" || r.Status != http.StatusAccepted || string(r.Request) != `{"dry_run":true}` || r.Action != "POST /v1/tenants/{tenant}/act" {
		t.Errorf("small body: %+v", r)
	}
	if r := recs[1]; r.Request != nil || r.RequestOmitted != "larger than 8 KiB" {
		t.Errorf("large body: %+v", r)
	}
	if r := recs[2]; r.Request != nil || r.RequestOmitted != "not JSON" {
		t.Errorf("non-JSON body: %+v", r)
	}
	// The newest Limit records, oldest first.
	last, err := audit.NewReader(n.JS).List(t.Context(), audit.Query{Limit: 1})
	if err != nil || len(last) != 1 || last[0].RequestOmitted != "not JSON" {
		t.Fatalf("limit 1: %+v, %v", last, err)
	}
}
