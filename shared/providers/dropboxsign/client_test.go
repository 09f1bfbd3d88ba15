package dropboxsign

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/apiclient/clienttest"
)

const testKey = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"

var fastRetries = apiclient.Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond}

// testNow is the client's clock in these tests.
var testNow = time.Unix(1_800_000_000, 0).UTC()

// newTestClient serves h behind Dropbox Sign's basic auth (api key as
// user, empty password) and returns a client for it.
func newTestClient(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != testKey || pass != "" {
			t.Errorf("basic auth %q:%q, want the api key and no password", user, pass)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(config.Provider{Kind: providers.KindDropboxSign, APIKey: config.NewSecret(testKey),
		API: &config.API{BaseURL: srv.URL, Rate: 1000}}, fastRetries)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return testNow }
	return c
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, body)
}

// request renders a signature request; sigs are signature objects.
func request(id string, createdAt int64, extra, sigs string) string {
	return fmt.Sprintf(`{"signature_request_id":%q,"title":"Agreement","created_at":%d,"has_error":false,%s"signatures":[%s]}`,
		id, createdAt, extra, sigs)
}

func TestStatus(t *testing.T) {
	at := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	ann := envelope.RecipientRef{ID: "sig-a", Email: "ann@example.com"}
	bob := envelope.RecipientRef{ID: "sig-b", Email: "bob@example.com"}
	annSigned := `{"signature_id":"sig-a","signer_email_address":"ann@example.com","status_code":"signed","signed_at":1700000300,"last_viewed_at":1700000200}`
	bobWaiting := `{"signature_id":"sig-b","signer_email_address":"bob@example.com","status_code":"awaiting_signature","signed_at":null,"last_viewed_at":null}`
	bobViewed := `{"signature_id":"sig-b","signer_email_address":"bob@example.com","status_code":"awaiting_signature","signed_at":null,"last_viewed_at":1700000400}`
	bobSigned := `{"signature_id":"sig-b","signer_email_address":"bob@example.com","status_code":"signed","signed_at":"1700000500","last_viewed_at":1700000400}`
	bobDeclined := `{"signature_id":"sig-b","signer_email_address":"bob@example.com","status_code":"declined","signed_at":null,"last_viewed_at":1700000400}`
	tests := []struct {
		name    string
		status  int
		body    string
		want    providers.Status
		wantErr error
	}{
		{
			name:   "sent",
			status: http.StatusOK,
			body:   `{"signature_request":` + request("sr-1", 1700000000, `"is_complete":false,"is_declined":false,"expires_at":null,`, bobWaiting) + `}`,
			want: providers.Status{EnvelopeID: "sr-1", State: envelope.StateSent, ChangedAt: at(1700000000),
				Recipients: []providers.RecipientStatus{{Recipient: bob, State: providers.RecipientSent}}},
		},
		{
			name:   "viewed is delivered",
			status: http.StatusOK,
			body:   `{"signature_request":` + request("sr-1", 1700000000, `"is_complete":false,"is_declined":false,`, bobViewed) + `}`,
			want: providers.Status{EnvelopeID: "sr-1", State: envelope.StateDelivered, ChangedAt: at(1700000400),
				Recipients: []providers.RecipientStatus{{Recipient: bob, State: providers.RecipientDelivered}}},
		},
		{
			name:   "one of two signed",
			status: http.StatusOK,
			body:   `{"signature_request":` + request("sr-1", 1700000000, `"is_complete":false,"is_declined":false,`, annSigned+","+bobWaiting) + `}`,
			want: providers.Status{EnvelopeID: "sr-1", State: envelope.StatePartiallySigned, ChangedAt: at(1700000300),
				Recipients: []providers.RecipientStatus{{Recipient: ann, State: providers.RecipientSigned}, {Recipient: bob, State: providers.RecipientSent}}},
		},
		{
			name:   "complete",
			status: http.StatusOK,
			body:   `{"signature_request":` + request("sr-1", 1700000000, `"is_complete":true,"is_declined":false,`, annSigned+","+bobSigned) + `}`,
			want: providers.Status{EnvelopeID: "sr-1", State: envelope.StateCompleted, ChangedAt: at(1700000500),
				Recipients: []providers.RecipientStatus{{Recipient: ann, State: providers.RecipientSigned}, {Recipient: bob, State: providers.RecipientSigned}}},
		},
		{
			name:   "declined",
			status: http.StatusOK,
			body:   `{"signature_request":` + request("sr-1", 1700000000, `"is_complete":false,"is_declined":true,`, annSigned+","+bobDeclined) + `}`,
			want: providers.Status{EnvelopeID: "sr-1", State: envelope.StateDeclined, ChangedAt: at(1700000400),
				Recipients: []providers.RecipientStatus{{Recipient: ann, State: providers.RecipientSigned}, {Recipient: bob, State: providers.RecipientDeclined}}},
		},
		{
			name:   "expiry passed",
			status: http.StatusOK,
			body:   `{"signature_request":` + request("sr-1", 1700000000, `"is_complete":false,"is_declined":false,"expires_at":1700009000,`, bobWaiting) + `}`,
			want: providers.Status{EnvelopeID: "sr-1", State: envelope.StateExpired, ChangedAt: at(1700009000),
				Recipients: []providers.RecipientStatus{{Recipient: bob, State: providers.RecipientSent}}},
		},
		{
			name:   "expiry to come",
			status: http.StatusOK,
			body:   `{"signature_request":` + request("sr-1", 1700000000, `"is_complete":false,"is_declined":false,"expires_at":1900000000,`, bobWaiting) + `}`,
			want: providers.Status{EnvelopeID: "sr-1", State: envelope.StateSent, ChangedAt: at(1700000000),
				Recipients: []providers.RecipientStatus{{Recipient: bob, State: providers.RecipientSent}}},
		},
		{
			name:   "canceled is gone: voided",
			status: http.StatusGone,
			body:   `{"error":{"error_msg":"This resource has been deleted","error_name":"deleted"}}`,
			want:   providers.Status{EnvelopeID: "sr-1", State: envelope.StateVoided},
		},
		{
			name:    "not found",
			status:  http.StatusNotFound,
			body:    `{"error":{"error_msg":"Not found","error_name":"not_found"}}`,
			wantErr: providers.ErrNotFound,
		},
		{
			name:    "answer without a request",
			status:  http.StatusOK,
			body:    `{"warnings":[]}`,
			wantErr: providers.ErrUnknownStatus,
		},
		{
			name:    "forbidden",
			status:  http.StatusForbidden,
			body:    `{"error":{"error_msg":"Forbidden","error_name":"forbidden"}}`,
			wantErr: apiclient.ErrStatus,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v3/signature_request/sr-1" {
					t.Errorf("path %s, want /v3/signature_request/sr-1", r.URL.Path)
				}
				answer(w, tt.status, tt.body)
			})
			got, err := c.Status(t.Context(), "sr-1")
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

func TestListChangedPagesAndFilters(t *testing.T) {
	since := time.Unix(1700001000, 0)
	// Three pages of two: old untouched requests are left out, an old one
	// signed since is kept, wherever it sits in the creation order.
	pages := [][]string{
		{
			request("sr-new", 1700002000, `"is_complete":false,"is_declined":false,`, ""),
			request("sr-old", 1700000000, `"is_complete":false,"is_declined":false,`, ""),
		},
		{
			request("sr-old-signed", 1600000000, `"is_complete":true,"is_declined":false,`,
				`{"signature_id":"sig-a","signer_email_address":"ann@example.com","status_code":"signed","signed_at":1700001000}`),
			request("sr-older", 1600000000, `"is_complete":false,"is_declined":false,`, ""),
		},
		{
			request("sr-oldest", 1500000000, `"is_complete":false,"is_declined":false,`, ""),
		},
	}
	var calls atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		if r.URL.Path != "/v3/signature_request/list" || q.Get("page_size") != "100" || page < 1 || page > len(pages) {
			t.Errorf("request %s, want list pages 1..%d of 100", r.URL, len(pages))
			answer(w, http.StatusBadRequest, `{"error":{"error_name":"bad_request"}}`)
			return
		}
		body := `{"list_info":{"num_pages":3,"num_results":5,"page":` + strconv.Itoa(page) + `,"page_size":100},"signature_requests":[`
		for i, sr := range pages[page-1] {
			if i > 0 {
				body += ","
			}
			body += sr
		}
		answer(w, http.StatusOK, body+`]}`)
	})
	got, err := c.ListChanged(t.Context(), since)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, st := range got {
		ids = append(ids, st.EnvelopeID)
	}
	if want := []string{"sr-new", "sr-old-signed"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("listed %v, want %v", ids, want)
	}
	if got[1].State != envelope.StateCompleted || !got[1].ChangedAt.Equal(time.Unix(1700001000, 0)) {
		t.Fatalf("sr-old-signed = %+v, want completed at its signature", got[1])
	}
	if calls.Load() != 3 {
		t.Fatalf("%d requests, want 3 pages", calls.Load())
	}
}

func TestClientConformance(t *testing.T) {
	clienttest.Run(t, clienttest.Fixture{
		New: Kind.Client,
		Provider: func(base string, api bool) config.Provider {
			p := config.Provider{Kind: providers.KindDropboxSign, APIKey: config.NewSecret(testKey)}
			if api {
				p.API = &config.API{BaseURL: base, Rate: 1000}
			}
			return p
		},
		Authorized: func(r *http.Request) bool {
			user, pass, ok := r.BasicAuth()
			return ok && user == testKey && pass == ""
		},
		EnvelopeID: "sr-1", State: envelope.StateCompleted,
		StatusBody: `{"signature_request":` + request("sr-1", 1700000000, `"is_complete":true,"is_declined":false,`, "") + `}`,
	})
}
