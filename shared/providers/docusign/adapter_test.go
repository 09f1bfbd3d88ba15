package docusign_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/docusign"
	"github.com/countersign/countersign/shared/providers/providertest"
)

const (
	testKey = "docusign-test-key"
	vector  = `{"event":"envelope-completed","apiVersion":"v2.1","uri":"/restapi/v2.1/accounts/acct-1/envelopes/env-1","retryCount":0,"configurationId":12345,"generatedDateTime":"2026-01-13T07:09:58.9584687Z","data":{"accountId":"acct-1","userId":"user-1","envelopeId":"env-1"}}`
)

func newAdapter(t testing.TB, keys ...string) *docusign.Adapter {
	t.Helper()
	if len(keys) == 0 {
		keys = []string{testKey}
	}
	cfg := config.Provider{Kind: providers.KindDocuSign}
	for _, k := range keys {
		cfg.HMACKeys = append(cfg.HMACKeys, config.NewSecret(k))
	}
	a, err := docusign.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func signed(body string, keys ...string) *providers.Request {
	h := http.Header{}
	for i, k := range keys {
		h.Set("X-DocuSign-Signature-"+string(rune('1'+i)), docusign.Sign(k, []byte(body)))
	}
	return &providers.Request{Method: http.MethodPost, Header: h, Body: []byte(body)}
}

func TestConformance(t *testing.T) {
	providertest.Run(t, newAdapter(t), providertest.Load(t, "testdata/*.json")...)
}

func TestSignComputedVector(t *testing.T) {
	if got, want := docusign.Sign(testKey, []byte(vector)), "uVTRIiDv+T8BAlK5XQp46ZCBKCSlhbj0cJHndNh0MwY="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		keys    []string
		wantErr error
	}{
		{"none", nil, docusign.ErrNoKey},
		{"one empty among good", []string{testKey, ""}, docusign.ErrNoKey},
		{"two", []string{testKey, "next"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Provider{}
			for _, k := range tt.keys {
				cfg.HMACKeys = append(cfg.HMACKeys, config.NewSecret(k))
			}
			_, err := docusign.New(cfg)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("New = %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q reveals a key", err)
			}
		})
	}
}

func TestAuthenticateRotation(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		keys []string // configured
		req  *providers.Request
		ok   bool
	}{
		{"old key configured, new signs second", []string{"old"}, signed(vector, "new", "old"), true},
		{"both configured, one header", []string{"old", "new"}, signed(vector, "new"), true},
		{"neither", []string{"other"}, signed(vector, "new", "old"), false},
		{"garbage header", []string{"old"}, &providers.Request{Header: http.Header{"X-Docusign-Signature-1": {"%%%"}}, Body: []byte(vector)}, false},
		{"unnumbered header ignored", []string{testKey}, &providers.Request{Header: http.Header{"X-Docusign-Signature-X": {docusign.Sign(testKey, []byte(vector))}}, Body: []byte(vector)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newAdapter(t, tt.keys...).Authenticate(tt.req, now)
			if tt.ok && err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if !tt.ok && !errors.Is(err, providers.ErrUnauthenticated) {
				t.Fatalf("Authenticate = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

// TestRetriesShareEventIDs: Connect bumps retryCount in the body on each
// retry, so the bytes (and the ingress hash) differ; the events must not.
func TestRetriesShareEventIDs(t *testing.T) {
	a := newAdapter(t)
	body := `{"event":"recipient-completed","retryCount":0,"generatedDateTime":"2026-01-13T07:09:58.9584687Z","data":{"envelopeId":"env-1","recipientId":"1","envelopeSummary":{"recipients":{"signers":[{"recipientId":"2","email":"b@example.com","status":"signed","signedDateTime":"2026-01-13T07:00:00Z"}]}}}}`
	first, err := a.Parse("acme", signed(body, testKey))
	if err != nil || len(first) != 2 {
		t.Fatalf("Parse = %v, %v; want 2 events", first, err)
	}
	for _, retry := range []string{"1", "2", "9"} {
		again, err := a.Parse("acme", signed(strings.Replace(body, `"retryCount":0`, `"retryCount":`+retry, 1), testKey))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, first) {
			t.Errorf("retryCount %s: events %+v, want %+v", retry, again, first)
		}
	}
}

func FuzzAdapter(f *testing.F) {
	f.Add("POST", "X-DocuSign-Signature-1: uVTRIiDv+T8BAlK5XQp46ZCBKCSlhbj0cJHndNh0MwY=", "", []byte(vector), int64(0))
	f.Add("POST", "", "", []byte(`{"event":"recipient-completed","generatedDateTime":"x","data":{"envelopeSummary":{"recipients":{"signers":{}}}}}`), int64(0))
	providertest.Fuzz(f, newAdapter(f), providertest.Load(f, "testdata/*.json")...)
}
