package adobesign

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/apiclient/clienttest"
)

const testToken = "adobe-token"

var fastRetries = apiclient.Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond}

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
	c, err := NewClient(config.Provider{Kind: providers.KindAdobeSign, API: &config.API{
		BaseURL: srv.URL, Token: config.NewSecret(testToken), Rate: 1000,
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

// agreementBody renders an agreement with one participant set per
// "email=STATUS" pair.
func agreementBody(status string, sets ...[2]string) string {
	ps := ""
	for i, s := range sets {
		if i > 0 {
			ps += ","
		}
		ps += fmt.Sprintf(`{"memberInfos":[{"email":%q}],"order":%d,"role":"SIGNER","status":%q}`, s[0], i+1, s[1])
	}
	return fmt.Sprintf(`{"id":"CBJCHBCAABAA1","name":"Agreement","status":%q,"createdDate":"2026-01-13T07:09:58Z","participantSetsInfo":[%s]}`, status, ps)
}

func TestStatus(t *testing.T) {
	ann := envelope.RecipientRef{Email: "ann@example.com"}
	bob := envelope.RecipientRef{Email: "bob@example.com"}
	rs := func(r envelope.RecipientRef, s string) providers.RecipientStatus {
		return providers.RecipientStatus{Recipient: r, State: s}
	}
	tests := []struct {
		name    string
		status  int
		body    string
		want    providers.Status
		wantErr error
	}{
		{
			name: "out for signature", status: http.StatusOK,
			body: agreementBody("OUT_FOR_SIGNATURE", [2]string{"ann@example.com", "WAITING_FOR_MY_SIGNATURE"}, [2]string{"bob@example.com", "WAITING_FOR_OTHERS"}),
			want: providers.Status{EnvelopeID: "CBJCHBCAABAA1", State: envelope.StateSent, Recipients: []providers.RecipientStatus{rs(ann, providers.RecipientSent), rs(bob, providers.RecipientSent)}},
		},
		{
			name: "one signed", status: http.StatusOK,
			body: agreementBody("OUT_FOR_SIGNATURE", [2]string{"ann@example.com", "COMPLETED"}, [2]string{"bob@example.com", "WAITING_FOR_MY_SIGNATURE"}),
			want: providers.Status{EnvelopeID: "CBJCHBCAABAA1", State: envelope.StatePartiallySigned, Recipients: []providers.RecipientStatus{rs(ann, providers.RecipientSigned), rs(bob, providers.RecipientSent)}},
		},
		{
			name: "signed", status: http.StatusOK,
			body: agreementBody("SIGNED", [2]string{"ann@example.com", "COMPLETED"}),
			want: providers.Status{EnvelopeID: "CBJCHBCAABAA1", State: envelope.StateCompleted, Recipients: []providers.RecipientStatus{rs(ann, providers.RecipientSigned)}},
		},
		{
			name: "approved", status: http.StatusOK, body: agreementBody("APPROVED"),
			want: providers.Status{EnvelopeID: "CBJCHBCAABAA1", State: envelope.StateCompleted},
		},
		{
			name: "aborted by a rejection", status: http.StatusOK,
			body: agreementBody("ABORTED", [2]string{"ann@example.com", "REJECTED"}),
			want: providers.Status{EnvelopeID: "CBJCHBCAABAA1", State: envelope.StateDeclined, Recipients: []providers.RecipientStatus{rs(ann, providers.RecipientDeclined)}},
		},
		{
			name: "cancelled", status: http.StatusOK, body: agreementBody("CANCELLED"),
			want: providers.Status{EnvelopeID: "CBJCHBCAABAA1", State: envelope.StateVoided},
		},
		{
			name: "expired", status: http.StatusOK, body: agreementBody("EXPIRED"),
			want: providers.Status{EnvelopeID: "CBJCHBCAABAA1", State: envelope.StateExpired},
		},
		{
			name: "unknown status", status: http.StatusOK, body: agreementBody("SOMETHING_NEW"),
			wantErr: providers.ErrUnknownStatus,
		},
		{
			name: "not found", status: http.StatusNotFound,
			body:    `{"code":"INVALID_AGREEMENT_ID","message":"The Agreement ID specified is invalid."}`,
			wantErr: providers.ErrNotFound,
		},
		{
			name: "unauthorized", status: http.StatusUnauthorized,
			body:    `{"code":"INVALID_ACCESS_TOKEN","message":"Access token provided is invalid or has expired"}`,
			wantErr: apiclient.ErrStatus,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/rest/v6/agreements/CBJCHBCAABAA1" {
					t.Errorf("path %s, want the agreement", r.URL.Path)
				}
				answer(w, tt.status, tt.body)
			})
			got, err := c.Status(t.Context(), "CBJCHBCAABAA1")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
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

func TestClientConformance(t *testing.T) {
	clienttest.Run(t, clienttest.Fixture{
		New: Kind.Client,
		Provider: func(base string, api bool) config.Provider {
			p := config.Provider{Kind: providers.KindAdobeSign}
			if api {
				p.API = &config.API{BaseURL: base, Token: config.NewSecret(testToken), Rate: 1000}
			}
			return p
		},
		Authorized: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+testToken },
		EnvelopeID: "CBJCHBCAABAA1", StatusBody: agreementBody("SIGNED"), State: envelope.StateCompleted,
	})
}
