package verifier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/clients"
)

// Confirmation outcomes, as the countersign_verifier_confirmations_total
// "outcome" label.
const (
	// outcomeConfirmed: the API's status includes the parsed event.
	outcomeConfirmed = "confirmed"
	// outcomeCorrected: the API says something else; its events replace
	// the parsed one (envelopeFinished that was a rejection, a forgery).
	outcomeCorrected = "corrected"
	// outcomeKept: the API neither confirms nor contradicts the event (it
	// names no recipients, or trails its own callbacks); the authenticated
	// callback's event is kept beside the API's.
	outcomeKept = "kept"
	// outcomeNotFound: the provider does not know the envelope (DLQ).
	outcomeNotFound = "not_found"
	// outcomeError: the API could not be asked (retried with backoff).
	outcomeError = "error"
	// outcomeAuth: the API refused countersign's credentials (DLQ at once,
	// class provider_auth).
	outcomeAuth = "auth"
	// outcomeNoAPI: the event asks for confirmation but the provider has
	// no api: section; it is published as parsed.
	outcomeNoAPI = "no_api"
)

// confirmer asks the provider's API about events its adapter will not
// vouch for (providers.Confirmer) and replaces them by what the API says.
type confirmer struct {
	// clients are keyed "<tenant>/<kind>"; a config reload swaps the map.
	clients  atomic.Pointer[map[string]providers.StatusClient]
	opts     apiclient.Options
	outcomes *prometheus.CounterVec
	// authFailures counts the API's 401/403 answers (nil: not counted).
	authFailures *prometheus.CounterVec
}

// newConfirmer builds a StatusClient for every provider of f with an api:
// section and registers the confirmation counter on reg.
func newConfirmer(f *config.File, o apiclient.Options, reg prometheus.Registerer) (*confirmer, error) {
	cs, err := buildClients(f, o)
	if err != nil {
		return nil, err
	}
	c := newConfirmerWith(cs)
	c.opts = o
	if c.authFailures, err = apiclient.AuthFailures(reg); err != nil {
		return nil, fmt.Errorf("verifier: metrics: %w", err)
	}
	// Export a zero for every provider with an API, so the alert's series
	// exist before the first failure.
	for key := range cs {
		tenant, kind, _ := strings.Cut(key, "/")
		c.authFailures.WithLabelValues("verifier", tenant, kind)
	}
	if err := reg.Register(c.outcomes); err != nil {
		return nil, fmt.Errorf("verifier: metrics: %w", err)
	}
	return c, nil
}

// newConfirmerWith returns a confirmer over the given clients, keyed
// "<tenant>/<kind>".
func newConfirmerWith(cs map[string]providers.StatusClient) *confirmer {
	c := &confirmer{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "countersign_verifier_confirmations_total",
			Help: "Parsed events checked against the provider's API, by provider and outcome.",
		}, []string{"provider", "outcome"}),
	}
	c.clients.Store(&cs)
	return c
}

// buildClients builds a StatusClient for every provider of f with an api:
// section, keyed "<tenant>/<kind>". API tokens are f's: a reload re-reads
// file: tokens, so a rotated token takes effect without a restart.
func buildClients(f *config.File, o apiclient.Options) (map[string]providers.StatusClient, error) {
	cs := map[string]providers.StatusClient{}
	for _, t := range f.Tenants {
		for _, p := range t.Providers {
			c, err := clients.New(p, o)
			if err != nil {
				return nil, fmt.Errorf("verifier: tenant %s: %w", t.ID, err)
			}
			if c != nil {
				cs[t.ID+"/"+p.Kind] = c
			}
		}
	}
	return cs, nil
}

// confirm returns events with every event a's MustConfirm marks replaced
// by the events that bring the envelope to the state the provider's API
// reports (source provider_api, dated by the API's change time or else the
// parsed event's), the whole deduplicated by id. The API is asked once per
// envelope. An envelope the provider does not know is a permanent error
// (DLQ); any other API failure is returned as is, transient.
func (c *confirmer) confirm(ctx context.Context, tenant string, a providers.Adapter, events []envelope.Event) ([]envelope.Event, error) {
	cf, ok := a.(providers.Confirmer)
	if !ok {
		return events, nil
	}
	kind := a.Kind()
	client := (*c.clients.Load())[tenant+"/"+kind]
	out := make([]envelope.Event, 0, len(events))
	seen := map[string]bool{}
	add := func(evs ...envelope.Event) {
		for _, ev := range evs {
			if !seen[ev.ID] {
				seen[ev.ID] = true
				out = append(out, ev)
			}
		}
	}
	statuses := map[string]providers.Status{}
	for _, ev := range events {
		if !cf.MustConfirm(ev) {
			add(ev)
			continue
		}
		if client == nil {
			c.outcomes.WithLabelValues(kind, outcomeNoAPI).Inc()
			add(ev)
			continue
		}
		st, asked := statuses[ev.EnvelopeID]
		if !asked {
			var err error
			st, err = client.Status(ctx, ev.EnvelopeID)
			switch {
			case errors.Is(err, providers.ErrNotFound):
				c.outcomes.WithLabelValues(kind, outcomeNotFound).Inc()
				return nil, bus.Permanent(fmt.Errorf("envelope deleted at provider: %w", err))
			case isAuth(err):
				code, _ := apiclient.AuthStatus(err)
				c.outcomes.WithLabelValues(kind, outcomeAuth).Inc()
				if c.authFailures != nil {
					c.authFailures.WithLabelValues("verifier", tenant, kind).Inc()
				}
				return nil, bus.ProviderAuth(fmt.Errorf("provider %s API refused the credentials of tenant %s (HTTP %d; rotate or fix api.token, reload, then replay): confirm envelope %s: %w",
					kind, tenant, code, ev.EnvelopeID, err))
			case err != nil:
				c.outcomes.WithLabelValues(kind, outcomeError).Inc()
				return nil, fmt.Errorf("confirm %s envelope %s: %w", kind, ev.EnvelopeID, err)
			}
			// The envelope is the one asked about, whatever id the
			// answer spells: the subject and record key follow it.
			st.EnvelopeID = ev.EnvelopeID
			statuses[ev.EnvelopeID] = st
		}
		confirmed := providers.EventsFromStatus(tenant, kind, st, envelope.SourceProviderAPI, ev.OccurredAt)
		outcome := outcomeCorrected
		switch {
		case contains(confirmed, ev):
			outcome = outcomeConfirmed
		case ev.Type.IsRecipient() && len(st.Recipients) == 0, trails(st, ev), undeniableFailure(st, ev):
			// eSignAnyWhere's envelope answer names no recipients, and an
			// API may not yet show (or not track) a view its own callback
			// reports: it can neither confirm nor deny those, and the
			// callback was authenticated. No API reports bounces or failed
			// authentications either (Dropbox Sign's email bounce), so a
			// failure of a recipient the API shows still pending is kept
			// too. Terminal events are never kept this way.
			outcome = outcomeKept
			confirmed = append(confirmed, ev)
		}
		c.outcomes.WithLabelValues(kind, outcome).Inc()
		add(confirmed...)
	}
	return out, nil
}

// trails reports whether st is behind ev without contradicting it: ev is
// sent or delivered, and the API reports a lower, non-terminal state, or
// ev names a recipient the API does not show as far along (most provider
// APIs do not report who viewed an envelope).
func trails(st providers.Status, ev envelope.Event) bool {
	if ev.Type != envelope.TypeSent && ev.Type != envelope.TypeDelivered {
		return false
	}
	if ev.Recipient != nil && !showsRecipient(st, *ev.Recipient, envelope.RecipientState(ev.Type)) {
		return true
	}
	return !st.State.Terminal() && st.State.Rank() < envelope.State(ev.Type).Rank()
}

// undeniableFailure reports whether ev is a delivery or authentication
// failure the API cannot deny: provider APIs do not report them, so the
// authenticated callback stands as long as the API shows the recipient and
// shows it still waiting to act (not signed, not declined).
func undeniableFailure(st providers.Status, ev envelope.Event) bool {
	if ev.Type != envelope.TypeRecipientDeliveryFailed && ev.Type != envelope.TypeRecipientAuthFailed {
		return false
	}
	if ev.Recipient == nil || st.State.Terminal() {
		return false
	}
	for _, x := range st.Recipients {
		if x.Recipient.Same(*ev.Recipient) {
			return x.State != providers.RecipientSigned && x.State != providers.RecipientDeclined
		}
	}
	return false
}

// showsRecipient reports whether st has recipient r at state s or beyond.
func showsRecipient(st providers.Status, r envelope.RecipientRef, s envelope.RecipientState) bool {
	for _, x := range st.Recipients {
		if x.Recipient.Same(r) && envelope.RecipientState(x.State).Rank() >= s.Rank() {
			return true
		}
	}
	return false
}

// contains reports whether evs holds an event of ev's type about ev's
// recipient (if any).
func contains(evs []envelope.Event, ev envelope.Event) bool {
	for _, e := range evs {
		if e.Type != ev.Type {
			continue
		}
		if ev.Recipient == nil || (e.Recipient != nil && e.Recipient.Same(*ev.Recipient)) {
			return true
		}
	}
	return false
}

// isAuth reports whether err is the provider API refusing countersign's
// credentials (apiclient.AuthStatus).
func isAuth(err error) bool {
	_, ok := apiclient.AuthStatus(err)
	return ok
}
