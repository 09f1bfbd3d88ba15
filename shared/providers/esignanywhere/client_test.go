package esignanywhere

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

const (
	testToken = "esaw-api-token"
	testID    = "4f2e1c9a-0b7d-4c3e-9a51-2d6f8e0b1a77"
)

var fastRetries = apiclient.Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond}

func newTestClient(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("apiToken"); got != testToken {
			t.Errorf("apiToken = %q, want the token", got)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(config.Provider{Kind: providers.KindESignAnyWhere, API: &config.API{
		BaseURL: srv.URL + "/api", Token: config.NewSecret(testToken), Rate: 1000,
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
	tests := []struct {
		name    string
		status  int
		body    string
		want    envelope.State
		wantErr error
	}{
		{name: "active", status: http.StatusOK, body: `{"Id":"` + testID + `","Name":"Agreement","EnvelopeStatus":"Active"}`, want: envelope.StateSent},
		{name: "completed", status: http.StatusOK, body: `{"Id":"` + testID + `","EnvelopeStatus":"Completed"}`, want: envelope.StateCompleted},
		{name: "rejected", status: http.StatusOK, body: `{"Id":"` + testID + `","EnvelopeStatus":"Rejected"}`, want: envelope.StateDeclined},
		{name: "canceled", status: http.StatusOK, body: `{"Id":"` + testID + `","EnvelopeStatus":"Canceled"}`, want: envelope.StateVoided},
		{name: "expired", status: http.StatusOK, body: `{"Id":"` + testID + `","EnvelopeStatus":"Expired"}`, want: envelope.StateExpired},
		{name: "unknown", status: http.StatusOK, body: `{"Id":"` + testID + `","EnvelopeStatus":"Archived"}`, wantErr: providers.ErrUnknownStatus},
		{name: "not found", status: http.StatusNotFound, body: `{"ErrorId":"ERR0007","Message":"Envelope not found"}`, wantErr: providers.ErrNotFound},
		{name: "bad token", status: http.StatusUnauthorized, body: `{"ErrorId":"ERR0011","Message":"Invalid apiToken"}`, wantErr: apiclient.ErrStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v6/envelope/"+testID {
					t.Errorf("path %s, want the envelope under the base path", r.URL.Path)
				}
				answer(w, tt.status, tt.body)
			})
			got, err := c.Status(t.Context(), testID)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := (providers.Status{EnvelopeID: testID, State: tt.want}); !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestClientConformance(t *testing.T) {
	clienttest.Run(t, clienttest.Fixture{
		New: Kind.Client,
		Provider: func(base string, api bool) config.Provider {
			p := config.Provider{Kind: providers.KindESignAnyWhere}
			if api {
				p.API = &config.API{BaseURL: base + "/api", Token: config.NewSecret(testToken), Rate: 1000}
			}
			return p
		},
		Authorized: func(r *http.Request) bool { return r.Header.Get("apiToken") == testToken },
		EnvelopeID: testID, StatusBody: `{"Id":"` + testID + `","EnvelopeStatus":"Completed"}`, State: envelope.StateCompleted,
	})
}
