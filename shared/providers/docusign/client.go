package docusign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// listPageSize is listStatusChanges' largest page ("count" ≤ 100).
const listPageSize = 100

// maxListPages bounds one ListChanged walk: a nextUri that never ends (a
// provider bug) must not keep a poller busy forever.
const maxListPages = 10_000

// apiTime is DocuSign's timestamp shape: seven fractional digits, UTC.
const apiTime = "2006-01-02T15:04:05.0000000Z"

// Client asks DocuSign's eSignature REST API (v2.1) about envelopes of one
// account.
type Client struct {
	api     *apiclient.Client
	account string
}

var (
	_ providers.StatusClient = (*Client)(nil)
	_ providers.ChangeLister = (*Client)(nil)
)

// NewClient returns a client for cfg.API, authenticated with its token as a
// bearer token. It returns providers.ErrNoAPI when cfg has no api: section.
func NewClient(cfg config.Provider, o apiclient.Options) (*Client, error) {
	api, err := apiclient.ForProvider("docusign", cfg.API, "Authorization", "Bearer "+apiclient.Token(cfg.API), o)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, account: cfg.API.AccountID}, nil
}

// apiEnvelope is an envelope as GET envelopes/{id} and listStatusChanges
// return it (the fields countersign reads).
type apiEnvelope struct {
	EnvelopeID            string `json:"envelopeId"`
	Status                string `json:"status"`
	StatusChangedDateTime string `json:"statusChangedDateTime"`
	Recipients            *struct {
		Signers         []apiRecipient `json:"signers"`
		InPersonSigners []apiRecipient `json:"inPersonSigners"`
		Witnesses       []apiRecipient `json:"witnesses"`
		Notaries        []apiRecipient `json:"notaries"`
	} `json:"recipients"`
}

type apiRecipient struct {
	RecipientID string `json:"recipientId"`
	Email       string `json:"email"`
	Status      string `json:"status"`
}

// listAnswer is listStatusChanges' page. The counts are JSON strings, as
// DocuSign sends them; only nextUri drives paging.
type listAnswer struct {
	ResultSetSize string        `json:"resultSetSize"`
	TotalSetSize  string        `json:"totalSetSize"`
	NextURI       string        `json:"nextUri"`
	Envelopes     []apiEnvelope `json:"envelopes"`
}

// errorBody is DocuSign's error answer.
type errorBody struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

// envelopeStates maps DocuSign envelope statuses. "signed" (everyone has
// signed, completion pending) maps to partially_signed, which yields no
// envelope event: completed follows. "timedout" is DocuSign's expiry.
var envelopeStates = map[string]envelope.State{
	"created":   envelope.StateCreated,
	"sent":      envelope.StateSent,
	"delivered": envelope.StateDelivered,
	"signed":    envelope.StatePartiallySigned,
	"completed": envelope.StateCompleted,
	"declined":  envelope.StateDeclined,
	"voided":    envelope.StateVoided,
	"timedout":  envelope.StateExpired,
}

// recipientStates maps a signing recipient's status.
var recipientStates = map[string]string{
	"sent":      providers.RecipientSent,
	"delivered": providers.RecipientDelivered,
	"signed":    providers.RecipientSigned,
	"completed": providers.RecipientSigned,
	"declined":  providers.RecipientDeclined,
}

func (c *Client) accountPath() string {
	return "/restapi/v2.1/accounts/" + c.account
}

// Status returns one envelope's status with its signing recipients. It
// returns an error wrapping providers.ErrNotFound when DocuSign says
// ENVELOPE_DOES_NOT_EXIST (or 404), or the envelope is deleted; and
// providers.ErrUnknownStatus for a status it cannot map.
func (c *Client) Status(ctx context.Context, envelopeID string) (providers.Status, error) {
	if !providers.PathSafe(envelopeID) {
		return providers.Status{}, fmt.Errorf("docusign: envelope id %q: %w", envelopeID, providers.ErrNotFound)
	}
	var e apiEnvelope
	q := url.Values{"include": {"recipients"}}
	if err := c.api.GetJSON(ctx, c.accountPath()+"/envelopes/"+envelopeID, q, &e); err != nil {
		if notFound(err) {
			return providers.Status{}, fmt.Errorf("docusign: envelope %s: %w: %w", envelopeID, providers.ErrNotFound, err)
		}
		return providers.Status{}, fmt.Errorf("docusign: envelope %s: %w", envelopeID, err)
	}
	if e.EnvelopeID == "" {
		e.EnvelopeID = envelopeID
	}
	if e.Status == "deleted" {
		return providers.Status{}, fmt.Errorf("docusign: envelope %s is deleted: %w", envelopeID, providers.ErrNotFound)
	}
	return e.status()
}

// ListChanged returns every envelope whose status changed at or after
// since (listStatusChanges), following nextUri, with its recipients
// (include=recipients on every page): polling must rebuild the recipient
// events the lost callbacks carried, not only the envelope's status.
// Deleted envelopes and statuses countersign does not map ("processing")
// are left out.
func (c *Client) ListChanged(ctx context.Context, since time.Time) ([]providers.Status, error) {
	path := c.accountPath() + "/envelopes"
	q := url.Values{
		"from_date":      {since.UTC().Format(apiTime)},
		"from_to_status": {"changed"},
		"count":          {strconv.Itoa(listPageSize)},
		"start_position": {"0"},
		"include":        {"recipients"},
	}
	var out []providers.Status
	for page := 0; ; page++ {
		if page == maxListPages {
			return out, fmt.Errorf("docusign: listStatusChanges: more than %d pages", maxListPages)
		}
		var a listAnswer
		if err := c.api.GetJSON(ctx, path, q, &a); err != nil {
			return out, fmt.Errorf("docusign: listStatusChanges: %w", err)
		}
		for _, e := range a.Envelopes {
			st, err := e.status()
			if err != nil || e.EnvelopeID == "" {
				continue
			}
			out = append(out, st)
		}
		if a.NextURI == "" || len(a.Envelopes) == 0 {
			return out, nil
		}
		next, err := c.nextPage(a.NextURI)
		if err != nil {
			return out, err
		}
		path, q = next.Path, next.Query()
		q.Set("include", "recipients") // whether or not nextUri kept it
	}
}

// nextPage resolves nextUri, which DocuSign gives relative to the account
// ("/envelopes?start_position=100&…"), into a path under the base URL.
func (c *Client) nextPage(nextURI string) (*url.URL, error) {
	u, err := url.Parse(nextURI)
	if err != nil || u.IsAbs() {
		return nil, fmt.Errorf("docusign: listStatusChanges: bad nextUri %q", nextURI)
	}
	if !strings.HasPrefix(u.Path, "/restapi/") {
		u.Path = c.accountPath() + u.Path
	}
	return u, nil
}

// status maps e; the error wraps providers.ErrUnknownStatus.
func (e apiEnvelope) status() (providers.Status, error) {
	state, ok := envelopeStates[e.Status]
	if !ok {
		return providers.Status{}, fmt.Errorf("docusign: envelope %s: status %q: %w", e.EnvelopeID, e.Status, providers.ErrUnknownStatus)
	}
	st := providers.Status{EnvelopeID: e.EnvelopeID, State: state}
	if e.StatusChangedDateTime != "" {
		at, err := providers.ParseTime(e.StatusChangedDateTime)
		if err != nil {
			return providers.Status{}, fmt.Errorf("docusign: envelope %s: statusChangedDateTime: %w", e.EnvelopeID, err)
		}
		st.ChangedAt = at
	}
	if e.Recipients != nil {
		r := e.Recipients
		for _, group := range [][]apiRecipient{r.Signers, r.InPersonSigners, r.Witnesses, r.Notaries} {
			for _, rc := range group {
				rs, ok := recipientStates[rc.Status]
				if !ok {
					continue
				}
				st.Recipients = append(st.Recipients, providers.RecipientStatus{
					Recipient: envelope.RecipientRef{ID: rc.RecipientID, Email: rc.Email},
					State:     rs,
				})
			}
		}
	}
	return st, nil
}

// notFound reports whether err is DocuSign's answer for an unknown
// envelope: 404, or ENVELOPE_DOES_NOT_EXIST in the error body (DocuSign
// sends that with 400).
func notFound(err error) bool {
	var se *apiclient.StatusError
	if !errors.As(err, &se) {
		return false
	}
	if se.Code == http.StatusNotFound {
		return true
	}
	var b errorBody
	return json.Unmarshal(se.Body, &b) == nil && b.ErrorCode == "ENVELOPE_DOES_NOT_EXIST"
}
