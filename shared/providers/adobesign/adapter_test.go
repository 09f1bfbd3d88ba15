package adobesign_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/adobesign"
	"github.com/countersign/countersign/shared/providers/providertest"
)

func newAdapter(t testing.TB, ids ...string) *adobesign.Adapter {
	t.Helper()
	if len(ids) == 0 {
		ids = []string{"adobe-client-1"}
	}
	a, err := adobesign.New(config.Provider{Kind: providers.KindAdobeSign, ClientIDs: ids})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func TestConformance(t *testing.T) {
	providertest.Run(t, newAdapter(t), providertest.Load(t, "testdata/*.json")...)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		ids     []string
		wantErr error
	}{
		{"none", nil, adobesign.ErrNoClientID},
		{"empty", []string{"a", ""}, adobesign.ErrNoClientID},
		{"two", []string{"a", "b"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := adobesign.New(config.Provider{ClientIDs: tt.ids})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("New = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestAuthenticateClientIDs(t *testing.T) {
	a := newAdapter(t, "client-a", "client-b")
	tests := []struct {
		id string
		ok bool
	}{
		{"client-a", true},
		{"client-b", true},
		{"client-", false},
		{"client-bb", false},
		{"CLIENT-A", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			h := http.Header{}
			if tt.id != "" {
				h.Set("X-ADOBESIGN-CLIENTID", tt.id)
			}
			err := a.Authenticate(&providers.Request{Method: http.MethodGet, Header: h}, time.Now())
			if tt.ok && err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if !tt.ok && !errors.Is(err, providers.ErrUnauthenticated) {
				t.Fatalf("Authenticate = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

// TestRepeatsKeepNotificationID: Adobe retries a notification with the
// same webhookNotificationId, which is the delivery id ingress dedupes on
// and the events carry; the events' semantic ids match too.
func TestRepeatsKeepNotificationID(t *testing.T) {
	a := newAdapter(t)
	body := `{"webhookNotificationId":"n-42","event":"AGREEMENT_WORKFLOW_COMPLETED","eventDate":"2026-01-13T07:09:58Z","agreement":{"id":"agr-1","status":"SIGNED"}}`
	var first []string
	for attempt := range 3 {
		h := http.Header{}
		h.Set("X-ADOBESIGN-CLIENTID", "adobe-client-1")
		// Retries may differ in incidental bytes (here: whitespace).
		req := &providers.Request{Method: http.MethodPost, Header: h, Body: []byte(strings.Repeat(" ", attempt) + body)}
		if got := a.DeliveryID(req); got != "n-42" {
			t.Fatalf("attempt %d: DeliveryID = %q, want n-42", attempt, got)
		}
		events, err := a.Parse("acme", req)
		if err != nil || len(events) != 1 || events[0].DeliveryID != "n-42" {
			t.Fatalf("attempt %d: Parse = %+v, %v", attempt, events, err)
		}
		ids := []string{events[0].ID}
		if first == nil {
			first = ids
		} else if !reflect.DeepEqual(ids, first) {
			t.Errorf("attempt %d: ids %v, want %v", attempt, ids, first)
		}
	}
}

func FuzzAdapter(f *testing.F) {
	f.Add("POST", "X-Adobesign-Clientid: adobe-client-1", "", []byte(`{"event":"AGREEMENT_CREATED","agreement":{"status":"OUT_FOR_SIGNATURE"},"eventDate":"x"}`), int64(0))
	providertest.Fuzz(f, newAdapter(f), providertest.Load(f, "testdata/*.json")...)
}
