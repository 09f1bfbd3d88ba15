package esignanywhere

import (
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"time"

	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// guid is the shape of an eSignAnyWhere envelope id; anything else in the
// envelope parameter is not from eSignAnyWhere.
var guid = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// action is what one callback action becomes: an envelope event, and
// whether a recipient (the recipient parameter) is attached to it or, for
// rejections, gets an event of its own.
type action struct {
	t envelope.Type
	// withRecipient attaches the recipient to t; t needs one when it is a
	// recipient type, and without one no event is emitted.
	withRecipient bool
	// alsoRecipient is an extra event for the recipient, when one is given.
	alsoRecipient envelope.Type
}

// actions maps ##Action## values. envelopeFinished is completed or
// rejected; it maps to completed, and MustConfirm has the API say which.
// Delegations change no state and are ignored, as are unknown actions.
var actions = map[string]action{
	"workstepFinished":     {t: envelope.TypeRecipientSigned, withRecipient: true},
	"workstepRejected":     {t: envelope.TypeDeclined, alsoRecipient: envelope.TypeRecipientDeclined},
	"workstepOpened":       {t: envelope.TypeDelivered, withRecipient: true},
	"sendSignNotification": {t: envelope.TypeSent, withRecipient: true},
	"envelopeExpired":      {t: envelope.TypeExpired},
	"envelopeFinished":     {t: envelope.TypeCompleted},
}

// Parse maps a callback to its events. The callback carries no time, so
// occurred_at is the receive time truncated to the second: retries of one
// callback then get different ids and are deduped by state rank (and the
// delivery id) instead. The envelope must be a GUID, else the callback is
// malformed; an unknown action yields no events.
func (a *Adapter) Parse(tenant string, req *providers.Request) ([]envelope.Event, error) {
	params := callbackParams(req)
	envelopeID := params.Get(ParamEnvelope)
	if !guid.MatchString(envelopeID) {
		return nil, fmt.Errorf("%w: %s: not a GUID", providers.ErrMalformed, ParamEnvelope)
	}
	act, ok := actions[params.Get(ParamAction)]
	if !ok {
		return nil, nil
	}
	if req.ReceivedAt.IsZero() {
		return nil, fmt.Errorf("%w: no receive time", providers.ErrMalformed)
	}
	at := req.ReceivedAt.UTC().Truncate(time.Second)
	var r *envelope.RecipientRef
	if email := params.Get(ParamRecipient); email != "" {
		r = &envelope.RecipientRef{Email: email}
	}
	if act.t.IsRecipient() && r == nil {
		// A signature by nobody in particular cannot move a recipient;
		// confirmation or polling will bring the envelope's state.
		return nil, nil
	}
	var ref *envelope.RecipientRef
	if act.withRecipient {
		ref = r
	}
	deliveryID := a.DeliveryID(req)
	ev, err := providers.NewEvent(tenant, a.Kind(), envelopeID, act.t, ref, at, deliveryID)
	if err != nil {
		return nil, err
	}
	events := []envelope.Event{ev}
	if act.alsoRecipient != "" && r != nil {
		ev, err := providers.NewEvent(tenant, a.Kind(), envelopeID, act.alsoRecipient, r, at, deliveryID)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// callbackParams returns the query, completed by a url-encoded POST body
// for parameters the query lacks (which form eSignAnyWhere posts is not
// documented; both are read).
func callbackParams(req *providers.Request) url.Values {
	params := url.Values{}
	for k, vs := range req.Query {
		params[k] = vs
	}
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/x-www-form-urlencoded" {
		return params
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return params
	}
	for k, vs := range form {
		if !params.Has(k) {
			params[k] = vs
		}
	}
	return params
}
