package dropboxsign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// listPageSize is the list call's largest page.
const listPageSize = 100

// maxListPages bounds one ListChanged walk against a provider whose
// num_pages keeps growing.
const maxListPages = 10_000

// Client asks the Dropbox Sign API (v3) about signature requests.
type Client struct {
	api *apiclient.Client
	now func() time.Time
}

var (
	_ providers.StatusClient = (*Client)(nil)
	_ providers.ChangeLister = (*Client)(nil)
)

// NewClient returns a client for cfg.API, authenticated the way Dropbox
// Sign wants: HTTP basic auth with the api_key as user name and an empty
// password. It returns providers.ErrNoAPI when cfg has no api: section.
func NewClient(cfg config.Provider, o apiclient.Options) (*Client, error) {
	// HTTP basic auth: the API key as user, no password.
	// During a rotation the first listed key is the current credential.
	var key string
	if keys := cfg.DropboxAPIKeys(); len(keys) > 0 {
		key = keys[0].Value()
	}
	if key == "" {
		key = apiclient.Token(cfg.API)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))
	api, err := apiclient.ForProvider("dropboxsign", cfg.API, "Authorization", basic, o)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, now: time.Now}, nil
}

// unixTime is a Dropbox Sign timestamp: unix seconds, or null. A quoted
// number is accepted too.
type unixTime struct{ time.Time }

func (u *unixTime) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" {
		u.Time = time.Time{}
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("dropboxsign: bad unix time %s", b)
	}
	u.Time = time.Unix(n, 0).UTC()
	return nil
}

// signatureRequest is a signature request as the API returns it (the
// fields countersign reads).
type signatureRequest struct {
	ID         string   `json:"signature_request_id"`
	CreatedAt  unixTime `json:"created_at"`
	ExpiresAt  unixTime `json:"expires_at"`
	IsComplete bool     `json:"is_complete"`
	IsDeclined bool     `json:"is_declined"`
	Signatures []struct {
		SignatureID  string   `json:"signature_id"`
		Email        string   `json:"signer_email_address"`
		StatusCode   string   `json:"status_code"`
		SignedAt     unixTime `json:"signed_at"`
		LastViewedAt unixTime `json:"last_viewed_at"`
	} `json:"signatures"`
}

// errorBody is Dropbox Sign's error answer.
type errorBody struct {
	Error struct {
		Name string `json:"error_name"`
	} `json:"error"`
}

// Status returns one signature request's status. A canceled request is
// gone at Dropbox Sign (410, error_name "deleted"): that is reported as
// voided, since a cancellation is what the callback said. It returns an
// error wrapping providers.ErrNotFound on 404.
func (c *Client) Status(ctx context.Context, envelopeID string) (providers.Status, error) {
	if !providers.PathSafe(envelopeID) {
		return providers.Status{}, fmt.Errorf("dropboxsign: signature request id %q: %w", envelopeID, providers.ErrNotFound)
	}
	var a struct {
		SignatureRequest *signatureRequest `json:"signature_request"`
	}
	err := c.api.GetJSON(ctx, "/v3/signature_request/"+envelopeID, nil, &a)
	var se *apiclient.StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return providers.Status{}, fmt.Errorf("dropboxsign: signature request %s: %w: %w", envelopeID, providers.ErrNotFound, err)
	case errors.As(err, &se) && se.Code == http.StatusGone && isDeleted(se.Body):
		return providers.Status{EnvelopeID: envelopeID, State: envelope.StateVoided}, nil
	case err != nil:
		return providers.Status{}, fmt.Errorf("dropboxsign: signature request %s: %w", envelopeID, err)
	case a.SignatureRequest == nil:
		return providers.Status{}, fmt.Errorf("dropboxsign: signature request %s: answer without signature_request: %w", envelopeID, providers.ErrUnknownStatus)
	}
	if a.SignatureRequest.ID == "" {
		a.SignatureRequest.ID = envelopeID
	}
	return a.SignatureRequest.status(c.now()), nil
}

// ListChanged pages through the account's signature requests and returns
// those whose last change (the latest of created, viewed, signed and
// expired times) is at or after since. The list is ordered by creation,
// which says nothing of later changes, so every page is read. Canceled
// requests are not listed by Dropbox Sign.
func (c *Client) ListChanged(ctx context.Context, since time.Time) ([]providers.Status, error) {
	now := c.now()
	var out []providers.Status
	for page := 1; ; page++ {
		if page > maxListPages {
			return out, fmt.Errorf("dropboxsign: list: more than %d pages", maxListPages)
		}
		var a struct {
			ListInfo struct {
				NumPages int `json:"num_pages"`
			} `json:"list_info"`
			SignatureRequests []signatureRequest `json:"signature_requests"`
		}
		q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(listPageSize)}}
		if err := c.api.GetJSON(ctx, "/v3/signature_request/list", q, &a); err != nil {
			return out, fmt.Errorf("dropboxsign: list page %d: %w", page, err)
		}
		for _, r := range a.SignatureRequests {
			st := r.status(now)
			if r.ID == "" || (!st.ChangedAt.IsZero() && st.ChangedAt.Before(since)) {
				continue
			}
			out = append(out, st)
		}
		if page >= a.ListInfo.NumPages || len(a.SignatureRequests) == 0 {
			return out, nil
		}
	}
}

// status maps r as seen at now: complete and declined flags first, then
// an expiry that has passed, then signers' progress.
func (r signatureRequest) status(now time.Time) providers.Status {
	st := providers.Status{EnvelopeID: r.ID, State: envelope.StateSent}
	changed := r.CreatedAt.Time
	later := func(t time.Time) {
		if t.After(changed) {
			changed = t
		}
	}
	signed, viewed := false, false
	for _, s := range r.Signatures {
		ref := envelope.RecipientRef{ID: s.SignatureID, Email: s.Email}
		later(s.SignedAt.Time)
		later(s.LastViewedAt.Time)
		state := providers.RecipientSent
		switch {
		case s.StatusCode == "signed":
			state, signed = providers.RecipientSigned, true
		case s.StatusCode == "declined":
			state = providers.RecipientDeclined
		case !s.LastViewedAt.IsZero():
			state, viewed = providers.RecipientDelivered, true
		}
		st.Recipients = append(st.Recipients, providers.RecipientStatus{Recipient: ref, State: state})
	}
	expired := !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(now)
	switch {
	case r.IsComplete:
		st.State = envelope.StateCompleted
	case r.IsDeclined:
		st.State = envelope.StateDeclined
	case expired:
		st.State = envelope.StateExpired
		later(r.ExpiresAt.Time)
	case signed:
		st.State = envelope.StatePartiallySigned
	case viewed:
		st.State = envelope.StateDelivered
	}
	st.ChangedAt = changed
	return st
}

// isDeleted reports whether an error body is Dropbox Sign's "deleted".
func isDeleted(body []byte) bool {
	var b errorBody
	return json.Unmarshal(body, &b) == nil && b.Error.Name == "deleted"
}
