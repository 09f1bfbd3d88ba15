// Package esignanywhere is the adapter for Namirial eSignAnyWhere status
// callbacks: a GET or POST to the configured CallbackUrl with the envelope
// id and action in the query, secured by a secret token in the query.
// Nothing is signed and the callback carries no time, so every event asks
// for confirmation against the API.
package esignanywhere

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// Query parameters of the callback URL
// (…?envelope=##EnvelopeId##&action=##Action##&token=…[&recipient=…]).
const (
	ParamToken     = "token"
	ParamEnvelope  = "envelope"
	ParamAction    = "action"
	ParamRecipient = "recipient"
)

// Adapter authenticates and parses eSignAnyWhere callbacks.
type Adapter struct {
	// tokens are every accepted callback token (rotation).
	tokens [][]byte
}

var (
	_ providers.Adapter   = (*Adapter)(nil)
	_ providers.Confirmer = (*Adapter)(nil)
)

// New returns an adapter for cfg, or ErrNoToken.
func New(cfg config.Provider) (*Adapter, error) {
	a := &Adapter{}
	for _, t := range cfg.ESignAnyWhereTokens() {
		if t.Value() != "" {
			a.tokens = append(a.tokens, []byte(t.Value()))
		}
	}
	if len(a.tokens) == 0 {
		return nil, ErrNoToken
	}
	return a, nil
}

// Kind returns providers.KindESignAnyWhere.
func (a *Adapter) Kind() string { return providers.KindESignAnyWhere }

// Authenticate compares the query's token with the configured one in
// constant time. Errors wrap providers.ErrUnauthenticated.
func (a *Adapter) Authenticate(req *providers.Request, _ time.Time) error {
	got := req.Query.Get(ParamToken)
	if got == "" {
		return fmt.Errorf("%w: missing token", providers.ErrUnauthenticated)
	}
	// Every token is compared, so timing does not tell which one matched.
	match := 0
	for _, t := range a.tokens {
		match |= subtle.ConstantTimeCompare(t, []byte(got))
	}
	if match != 1 {
		return fmt.Errorf("%w: wrong token", providers.ErrUnauthenticated)
	}
	return nil
}

// DeliveryID derives an id from the redacted query and the body, since the
// provider gives none: GET callbacks have empty bodies, so a body hash alone
// would make every callback a duplicate of the first. Retries of one
// callback share it; distinct callbacks of one envelope do not.
func (a *Adapter) DeliveryID(req *providers.Request) string {
	h := sha256.New()
	h.Write([]byte(a.Redact(req.Query).Encode()))
	h.Write([]byte{0})
	h.Write(req.Body)
	return "q:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Respond answers 200 with an empty body.
func (a *Adapter) Respond(*providers.Request) providers.Response {
	return providers.Response{Status: http.StatusOK, Header: http.Header{}}
}

// Redact returns a copy of q without the token, for storage.
func (a *Adapter) Redact(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, vs := range q {
		if k != ParamToken {
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}

// MustConfirm reports true for every event: nothing in a callback is
// signed, and envelopeFinished means completed or rejected, which only the
// API can tell.
func (a *Adapter) MustConfirm(envelope.Event) bool { return true }
