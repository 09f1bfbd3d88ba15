package adobesign

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
)

// Client asks Adobe Acrobat Sign's REST API (v6) about agreements.
type Client struct {
	api *apiclient.Client
}

var _ providers.StatusClient = (*Client)(nil)

// NewClient returns a client for cfg.API, authenticated with its token as
// an OAuth bearer token. It returns providers.ErrNoAPI when cfg has no api:
// section.
func NewClient(cfg config.Provider, o apiclient.Options) (*Client, error) {
	api, err := apiclient.ForProvider("adobesign", cfg.API, "Authorization", "Bearer "+apiclient.Token(cfg.API), o)
	if err != nil {
		return nil, err
	}
	return &Client{api: api}, nil
}

// agreementStates maps agreement statuses. Every OUT_FOR_* status is an
// agreement waiting on a participant (sent); SIGNED, APPROVED, ACCEPTED,
// DELIVERED and FORM_FILLED each end a workflow of its kind (completed).
// A recall is CANCELLED; a participant's rejection ends in ABORTED (or
// REJECTED in older answers).
var agreementStates = map[string]envelope.State{
	"AUTHORING":                   envelope.StateCreated,
	"DRAFT":                       envelope.StateCreated,
	"DOCUMENTS_NOT_YET_PROCESSED": envelope.StateCreated,
	"PREFILL":                     envelope.StateCreated,
	"WAITING_FOR_AUTHORING":       envelope.StateCreated,
	"WAITING_FOR_PREFILL":         envelope.StateCreated,
	"OUT_FOR_SIGNATURE":           envelope.StateSent,
	"OUT_FOR_APPROVAL":            envelope.StateSent,
	"OUT_FOR_ACCEPTANCE":          envelope.StateSent,
	"OUT_FOR_DELIVERY":            envelope.StateSent,
	"OUT_FOR_FORM_FILLING":        envelope.StateSent,
	"WAITING_FOR_MY_SIGNATURE":    envelope.StateSent,
	"WAITING_FOR_MY_APPROVAL":     envelope.StateSent,
	"WAITING_FOR_MY_ACCEPTANCE":   envelope.StateSent,
	"WAITING_FOR_MY_DELIVERY":     envelope.StateSent,
	"WAITING_FOR_MY_FORM_FILLING": envelope.StateSent,
	"WAITING_FOR_NOTARIZATION":    envelope.StateSent,
	"SIGNED":                      envelope.StateCompleted,
	"APPROVED":                    envelope.StateCompleted,
	"ACCEPTED":                    envelope.StateCompleted,
	"DELIVERED":                   envelope.StateCompleted,
	"FORM_FILLED":                 envelope.StateCompleted,
	"CANCELLED":                   envelope.StateVoided,
	"EXPIRED":                     envelope.StateExpired,
	"ABORTED":                     envelope.StateDeclined,
	"REJECTED":                    envelope.StateDeclined,
}

// participantStates maps a participant set's status; the rest (waiting,
// not yet visible) leave the participant at sent.
var participantStates = map[string]string{
	"COMPLETED": providers.RecipientSigned,
	"SIGNED":    providers.RecipientSigned,
	"APPROVED":  providers.RecipientSigned,
	"REJECTED":  providers.RecipientDeclined,
	"DECLINED":  providers.RecipientDeclined,
}

// agreement is GET agreements/{id}'s answer (the fields countersign reads).
// It carries no time of the last change: ChangedAt stays zero.
type agreement struct {
	ID                  string `json:"id"`
	Status              string `json:"status"`
	ParticipantSetsInfo []struct {
		Status      string `json:"status"`
		MemberInfos []struct {
			Email string `json:"email"`
		} `json:"memberInfos"`
	} `json:"participantSetsInfo"`
}

// Status returns one agreement's status with its participants (named by
// email, as callbacks name them). It returns an error wrapping
// providers.ErrNotFound on 404 and providers.ErrUnknownStatus for a status
// it cannot map.
func (c *Client) Status(ctx context.Context, envelopeID string) (providers.Status, error) {
	if !providers.PathSafe(envelopeID) {
		return providers.Status{}, fmt.Errorf("adobesign: agreement id %q: %w", envelopeID, providers.ErrNotFound)
	}
	var a agreement
	if err := c.api.GetJSON(ctx, "/api/rest/v6/agreements/"+envelopeID, nil, &a); err != nil {
		var se *apiclient.StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			return providers.Status{}, fmt.Errorf("adobesign: agreement %s: %w: %w", envelopeID, providers.ErrNotFound, err)
		}
		return providers.Status{}, fmt.Errorf("adobesign: agreement %s: %w", envelopeID, err)
	}
	state, ok := agreementStates[a.Status]
	if !ok {
		return providers.Status{}, fmt.Errorf("adobesign: agreement %s: status %q: %w", envelopeID, a.Status, providers.ErrUnknownStatus)
	}
	st := providers.Status{EnvelopeID: envelopeID, State: state}
	signed := false
	for _, set := range a.ParticipantSetsInfo {
		rs, ok := participantStates[set.Status]
		if !ok {
			rs = providers.RecipientSent
		}
		signed = signed || rs == providers.RecipientSigned
		for _, m := range set.MemberInfos {
			if m.Email == "" {
				continue
			}
			st.Recipients = append(st.Recipients, providers.RecipientStatus{
				Recipient: envelope.RecipientRef{Email: m.Email}, State: rs,
			})
		}
	}
	if state == envelope.StateSent && signed {
		st.State = envelope.StatePartiallySigned
	}
	return st, nil
}
