package docusign

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/apiclient/clienttest"
)

const (
	testToken   = "ds-token"
	testAccount = "acct-1"
	accountPath = "/restapi/v2.1/accounts/" + testAccount
)

var fastRetries = apiclient.Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond}

// newTestClient serves h behind DocuSign's bearer check and returns a
// client for it.
func newTestClient(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q, want the bearer token", got)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(config.Provider{Kind: providers.KindDocuSign, API: &config.API{
		BaseURL: srv.URL + "/", Token: config.NewSecret(testToken), AccountID: testAccount, Rate: 1000,
	}}, fastRetries)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, body)
}

func TestStatus(t *testing.T) {
	changed := time.Date(2026, 1, 13, 7, 9, 58, 958468700, time.UTC)
	tests := []struct {
		name    string
		status  int
		body    string
		want    providers.Status
		wantErr error
	}{
		{
			name:   "completed with recipients of every signing kind",
			status: http.StatusOK,
			body: `{"envelopeId":"env-1","status":"completed","statusChangedDateTime":"2026-01-13T07:09:58.9584687Z",
				"recipients":{"signers":[{"recipientId":"1","email":"ann@example.com","status":"completed"},
				{"recipientId":"2","email":"bob@example.com","status":"declined"}],
				"carbonCopies":[{"recipientId":"3","email":"cc@example.com","status":"completed"}],
				"inPersonSigners":[{"recipientId":"4","email":"ivy@example.com","status":"delivered"}],
				"witnesses":[{"recipientId":"5","email":"wes@example.com","status":"created"}]}}`,
			want: providers.Status{EnvelopeID: "env-1", State: envelope.StateCompleted, ChangedAt: changed, Recipients: []providers.RecipientStatus{
				{Recipient: envelope.RecipientRef{ID: "1", Email: "ann@example.com"}, State: providers.RecipientSigned},
				{Recipient: envelope.RecipientRef{ID: "2", Email: "bob@example.com"}, State: providers.RecipientDeclined},
				{Recipient: envelope.RecipientRef{ID: "4", Email: "ivy@example.com"}, State: providers.RecipientDelivered},
			}},
		},
		{
			name:   "timedout is expired",
			status: http.StatusOK,
			body:   `{"envelopeId":"env-1","status":"timedout","statusChangedDateTime":"2026-01-13T07:09:58.9584687Z"}`,
			want:   providers.Status{EnvelopeID: "env-1", State: envelope.StateExpired, ChangedAt: changed},
		},
		{
			name:   "signed awaits completion",
			status: http.StatusOK,
			body:   `{"envelopeId":"env-1","status":"signed"}`,
			want:   providers.Status{EnvelopeID: "env-1", State: envelope.StatePartiallySigned},
		},
		{
			name:    "404 ENVELOPE_DOES_NOT_EXIST",
			status:  http.StatusNotFound,
			body:    `{"errorCode":"ENVELOPE_DOES_NOT_EXIST","message":"The envelope specified either does not exist or you have no rights to the envelope."}`,
			wantErr: providers.ErrNotFound,
		},
		{
			name:    "400 ENVELOPE_DOES_NOT_EXIST",
			status:  http.StatusBadRequest,
			body:    `{"errorCode":"ENVELOPE_DOES_NOT_EXIST","message":"…"}`,
			wantErr: providers.ErrNotFound,
		},
		{
			name:    "deleted",
			status:  http.StatusOK,
			body:    `{"envelopeId":"env-1","status":"deleted"}`,
			wantErr: providers.ErrNotFound,
		},
		{
			name:    "other client errors are not not-found",
			status:  http.StatusBadRequest,
			body:    `{"errorCode":"ACCOUNT_LACKS_PERMISSIONS"}`,
			wantErr: apiclient.ErrStatus,
		},
		{
			name:    "unknown status",
			status:  http.StatusOK,
			body:    `{"envelopeId":"env-1","status":"processing"}`,
			wantErr: providers.ErrUnknownStatus,
		},
		{
			name:    "bad time",
			status:  http.StatusOK,
			body:    `{"envelopeId":"env-1","status":"sent","statusChangedDateTime":"yesterday"}`,
			wantErr: providers.ErrMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != accountPath+"/envelopes/env-1" || r.URL.Query().Get("include") != "recipients" {
					t.Errorf("request %s, want envelope env-1 with recipients", r.URL)
				}
				answer(w, tt.status, tt.body)
			})
			got, err := c.Status(t.Context(), "env-1")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if tt.wantErr != providers.ErrNotFound && errors.Is(err, providers.ErrNotFound) {
					t.Fatalf("err = %v is not-found", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestStatusRejectsUnsafeID(t *testing.T) {
	c := newTestClient(t, func(http.ResponseWriter, *http.Request) { t.Error("an unsafe id reached the API") })
	if _, err := c.Status(t.Context(), "../env"); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestListChangedFollowsNextURI(t *testing.T) {
	since := time.Date(2026, 1, 13, 7, 0, 0, 0, time.UTC)
	pages := map[string]string{
		"0": `{"resultSetSize":"2","startPosition":"0","endPosition":"1","totalSetSize":"3",
			"nextUri":"/envelopes?from_date=2026-01-13T07%3A00%3A00.0000000Z&from_to_status=changed&count=2&start_position=2",
			"envelopes":[
			{"envelopeId":"env-1","status":"sent","statusChangedDateTime":"2026-01-13T07:01:00.1234567Z","sentDateTime":"2026-01-13T07:01:00.1234567Z"},
			{"envelopeId":"env-2","status":"processing","statusChangedDateTime":"2026-01-13T07:02:00.0000000Z"}]}`,
		"2": `{"resultSetSize":"1","startPosition":"2","endPosition":"2","totalSetSize":"3","nextUri":"",
			"envelopes":[{"envelopeId":"env-3","status":"timedout","statusChangedDateTime":"2026-01-13T07:03:00.9999999Z"}]}`,
	}
	var calls atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		q := r.URL.Query()
		if r.URL.Path != accountPath+"/envelopes" || q.Get("from_date") != "2026-01-13T07:00:00.0000000Z" || q.Get("from_to_status") != "changed" {
			t.Errorf("request %s, want listStatusChanges from %s", r.URL, since)
		}
		if calls.Load() == 1 && q.Get("count") != "100" {
			t.Errorf("first page count %q, want 100", q.Get("count"))
		}
		body, ok := pages[q.Get("start_position")]
		if !ok {
			answer(w, http.StatusBadRequest, `{"errorCode":"INVALID_REQUEST_PARAMETER"}`)
			return
		}
		answer(w, http.StatusOK, body)
	})
	got, err := c.ListChanged(t.Context(), since)
	if err != nil {
		t.Fatal(err)
	}
	want := []providers.Status{
		{EnvelopeID: "env-1", State: envelope.StateSent, ChangedAt: time.Date(2026, 1, 13, 7, 1, 0, 123456700, time.UTC)},
		{EnvelopeID: "env-3", State: envelope.StateExpired, ChangedAt: time.Date(2026, 1, 13, 7, 3, 0, 999999900, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d requests, want 2 pages", calls.Load())
	}
}

// Polling rebuilds recipient events: every page asks for recipients (the
// second page's nextUri here drops the parameter), and the statuses carry
// them (issue #17: envelopes recovered by polling had sent and completed
// but nobody who signed).
func TestListChangedAsksForRecipients(t *testing.T) {
	since := time.Date(2026, 1, 13, 7, 0, 0, 0, time.UTC)
	var calls atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if got := r.URL.Query().Get("include"); got != "recipients" {
			t.Errorf("page %d: include=%q, want recipients", calls.Load(), got)
		}
		if r.URL.Query().Get("start_position") == "0" {
			answer(w, http.StatusOK, `{"nextUri":"/envelopes?from_date=2026-01-13&start_position=1","envelopes":[
				{"envelopeId":"env-1","status":"completed","statusChangedDateTime":"2026-01-13T07:01:00Z",
				 "recipients":{"signers":[{"recipientId":"1","email":"a@example.com","status":"completed"},
				                          {"recipientId":"2","email":"b@example.com","status":"delivered"}]}}]}`)
			return
		}
		answer(w, http.StatusOK, `{"nextUri":"","envelopes":[]}`)
	})
	got, err := c.ListChanged(t.Context(), since)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Recipients) != 2 || got[0].Recipients[0].State != string(envelope.RecipientSigned) ||
		got[0].Recipients[1].State != string(envelope.RecipientDelivered) {
		t.Fatalf("got %+v, want env-1 with a signed and a delivered recipient", got)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d requests, want 2", calls.Load())
	}
}

func TestListChangedReportsAPIErrors(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusBadRequest, `{"errorCode":"INVALID_REQUEST_PARAMETER"}`)
	})
	if _, err := c.ListChanged(t.Context(), time.Now()); !errors.Is(err, apiclient.ErrStatus) {
		t.Fatalf("err = %v, want a status error", err)
	}
}

func TestClientConformance(t *testing.T) {
	clienttest.Run(t, clienttest.Fixture{
		New: Kind.Client,
		Provider: func(base string, api bool) config.Provider {
			p := config.Provider{Kind: providers.KindDocuSign}
			if api {
				p.API = &config.API{BaseURL: base + "/", Token: config.NewSecret(testToken), AccountID: testAccount, Rate: 1000}
			}
			return p
		},
		Authorized: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+testToken },
		EnvelopeID: "env-1", StatusBody: `{"envelopeId":"env-1","status":"sent"}`, State: envelope.StateSent,
	})
}
