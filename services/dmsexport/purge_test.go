package dmsexport

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/services/dmsexport/target"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/exportapi"
	"github.com/countersign/countersign/shared/meshtest"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// fakeDocs is a provider whose purge answers what the test says.
type fakeDocs struct {
	calls  atomic.Int32
	answer atomic.Pointer[error]
}

func (f *fakeDocs) Documents(context.Context, string) ([]providers.Document, error) {
	return []providers.Document{{Name: providers.DocumentSigned}}, nil
}

func (f *fakeDocs) Download(context.Context, string, providers.Document) (io.ReadCloser, int64, error) {
	return io.NopCloser(strings.NewReader("%PDF")), 4, nil
}

func (f *fakeDocs) Purge(context.Context, string) error {
	f.calls.Add(1)
	if p := f.answer.Load(); p != nil {
		return *p
	}
	return nil
}

func (f *fakeDocs) set(err error) { f.answer.Store(&err) }

// TestPurgeAtMostOnce: the delete is called again only after an answer
// that says the provider did nothing; after a lost answer it is never
// called again, and the export says the outcome is unknown.
func TestPurgeAtMostOnce(t *testing.T) {
	ctx := context.Background()
	n := meshtest.StartNATS(t)
	if err := bus.Setup(ctx, n.JS, bus.Topology{}); err != nil {
		t.Fatal(err)
	}
	docs := &fakeDocs{}
	file := &config.File{Tenants: []config.Tenant{{ID: "acme", Export: &config.Export{PurgeAtProvider: true},
		Providers: []config.Provider{{Kind: providers.KindDocuSign}}}}}
	s, err := New(ctx, Config{
		File: file, JS: n.JS,
		Documents: func(config.Provider) (providers.DocumentClient, error) { return docs, nil },
		Targets:   func(context.Context, config.Tenant) (target.Target, error) { return target.NewDir(t.TempDir()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id string
		// answers are the provider's, attempt by attempt.
		answers   []error
		wantCalls int32
		wantState string // "purged", "unknown", "unsupported"
	}{
		{"lost-answer", []error{errors.New("connection reset by peer"), nil}, 1, "unknown"},
		{"refused-then-ok", []error{&apiclient.StatusError{Code: 500}, nil}, 2, "purged"},
		{"unsupported", []error{providers.ErrPurgeUnsupported}, 1, "unsupported"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			docs.calls.Store(0)
			now := time.Now().UTC()
			rec, err := s.records.create(ctx, &Record{
				Job:   Job{Tenant: "acme", Provider: providers.KindDocuSign, EnvelopeID: tc.id, CompletedSeq: 1, CompletedAt: envelope.FormatTime(now)},
				State: exportapi.StateExported, QueuedAt: now, ExportedAt: &now, Location: "file:///x/", ManifestSHA256: "00",
			})
			if err != nil {
				t.Fatal(err)
			}
			exported := auditEvent(rec, envelope.TypeExported, now, nil)
			onLedgerAs(t, n, exported)
			for _, answer := range tc.answers {
				docs.set(answer)
				rec, _, err = s.records.get(ctx, "acme", tc.id)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = s.purge(ctx, docs, rec, exported)
			}
			if got := docs.calls.Load(); got != tc.wantCalls {
				t.Errorf("purge called %d times, want %d", got, tc.wantCalls)
			}
			rec, _, _ = s.records.get(ctx, "acme", tc.id)
			switch tc.wantState {
			case "purged":
				if rec.PurgedAt == nil || !rec.PurgeSettled {
					t.Errorf("record %+v, want purged", rec)
				}
			case "unknown":
				if rec.PurgedAt != nil || !rec.PurgeSettled || !strings.Contains(rec.Error, "outcome unknown") {
					t.Errorf("record %+v, want settled with outcome unknown", rec)
				}
			case "unsupported":
				if rec.PurgedAt != nil || !rec.PurgeSettled || !strings.Contains(rec.Error, "purge unsupported") {
					t.Errorf("record %+v, want purge unsupported", rec)
				}
			}
		})
	}
}

// onLedgerAs puts ev's ledger entry on ENVELOPES, as statesync would.
func onLedgerAs(t *testing.T, n *meshtest.NATS, ev envelope.Event) {
	t.Helper()
	data, _ := json.Marshal(map[string]any{"id": ev.ID, "tenant": ev.Tenant, "envelope_id": ev.EnvelopeID, "type": ev.Type})
	if _, err := n.JS.Publish(context.Background(), envelope.Subject(ev.Tenant, ev.EnvelopeID, ev.Type), data); err != nil {
		t.Fatal(err)
	}
}
