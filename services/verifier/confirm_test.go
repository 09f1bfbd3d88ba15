package verifier

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
	"github.com/countersign/countersign/shared/providers/apiclient"
	"github.com/countersign/countersign/shared/providers/registry"
)

const (
	tenant  = "acme"
	esawEnv = "4f2e1c9a-0b7d-4c3e-9a51-2d6f8e0b1a77"
)

// fakeStatus answers Status from a fixed answer and counts the calls.
type fakeStatus struct {
	st    providers.Status
	err   error
	calls int
}

func (f *fakeStatus) Status(_ context.Context, id string) (providers.Status, error) {
	f.calls++
	if f.err != nil {
		return providers.Status{}, f.err
	}
	st := f.st
	st.EnvelopeID = id
	return st, nil
}

func adapter(t *testing.T, p config.Provider) providers.Adapter {
	t.Helper()
	a, err := registry.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// esawEvents parses an eSignAnyWhere callback of action (for recipient,
// if not empty) received at at.
func esawEvents(t *testing.T, a providers.Adapter, action, recipient string, at time.Time) []envelope.Event {
	t.Helper()
	q := url.Values{"envelope": {esawEnv}, "action": {action}, "token": {"esaw-token-1"}}
	if recipient != "" {
		q.Set("recipient", recipient)
	}
	evs, err := a.Parse(tenant, &providers.Request{Method: "GET", Query: q, ReceivedAt: at})
	if err != nil || len(evs) == 0 {
		t.Fatalf("parse %s: %v, %d events", action, err, len(evs))
	}
	return evs
}

func mustEvent(t *testing.T, kind, env string, typ envelope.Type, r *envelope.RecipientRef, at time.Time) envelope.Event {
	t.Helper()
	ev, err := providers.NewEvent(tenant, kind, env, typ, r, at, "")
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestConfirm(t *testing.T) {
	at := time.Date(2026, 1, 13, 7, 9, 58, 0, time.UTC)
	apiAt := at.Add(-time.Minute)
	esaw := adapter(t, config.Provider{Kind: providers.KindESignAnyWhere, CallbackToken: config.NewSecret("esaw-token-1")})
	docusign := adapter(t, config.Provider{Kind: providers.KindDocuSign, HMACKeys: []config.Secret{config.NewSecret("k")}})
	dropbox := adapter(t, config.Provider{Kind: providers.KindDropboxSign, APIKey: config.NewSecret("k")})
	ann := &envelope.RecipientRef{ID: "sig-a", Email: "ann@example.com"}
	bob := &envelope.RecipientRef{ID: "sig-b", Email: "bob@example.com"}
	id := func(kind, env string, typ envelope.Type, r *envelope.RecipientRef, when time.Time) string {
		return envelope.EventID(tenant, kind, env, typ, r, when)
	}

	type want struct {
		id     string
		typ    envelope.Type
		source envelope.Source
	}
	tests := []struct {
		name      string
		adapter   providers.Adapter
		client    *fakeStatus // nil: no api: section
		events    func() []envelope.Event
		want      []want
		wantCalls int
		outcome   string
		// permanent / transient: the error expected, if any.
		permanent, transient bool
	}{
		{
			name:    "envelopeFinished confirmed completed",
			adapter: esaw,
			client:  &fakeStatus{st: providers.Status{State: envelope.StateCompleted}},
			events:  func() []envelope.Event { return esawEvents(t, esaw, "envelopeFinished", "", at) },
			// No change time from eSignAnyWhere: the callback's time, so
			// the confirmed event keeps the parsed event's id.
			want:      []want{{id(providers.KindESignAnyWhere, esawEnv, envelope.TypeCompleted, nil, at), envelope.TypeCompleted, envelope.SourceProviderAPI}},
			wantCalls: 1,
			outcome:   outcomeConfirmed,
		},
		{
			name:      "envelopeFinished that was a rejection becomes declined",
			adapter:   esaw,
			client:    &fakeStatus{st: providers.Status{State: envelope.StateDeclined}},
			events:    func() []envelope.Event { return esawEvents(t, esaw, "envelopeFinished", "", at) },
			want:      []want{{id(providers.KindESignAnyWhere, esawEnv, envelope.TypeDeclined, nil, at), envelope.TypeDeclined, envelope.SourceProviderAPI}},
			wantCalls: 1,
			outcome:   outcomeCorrected,
		},
		{
			name:    "a signer the API cannot speak to is kept",
			adapter: esaw,
			client:  &fakeStatus{st: providers.Status{State: envelope.StateSent}},
			events:  func() []envelope.Event { return esawEvents(t, esaw, "workstepFinished", "ann@example.com", at) },
			want: []want{
				{id(providers.KindESignAnyWhere, esawEnv, envelope.TypeSent, nil, at), envelope.TypeSent, envelope.SourceProviderAPI},
				{id(providers.KindESignAnyWhere, esawEnv, envelope.TypeRecipientSigned, &envelope.RecipientRef{Email: "ann@example.com"}, at), envelope.TypeRecipientSigned, envelope.SourceWebhook},
			},
			wantCalls: 1,
			outcome:   outcomeKept,
		},
		{
			name:    "a view the API does not show yet is kept",
			adapter: dropbox,
			client:  &fakeStatus{st: providers.Status{State: envelope.StateSent, ChangedAt: apiAt}},
			events: func() []envelope.Event {
				return []envelope.Event{mustEvent(t, providers.KindDropboxSign, "sr-1", envelope.TypeDelivered, nil, at)}
			},
			want: []want{
				{id(providers.KindDropboxSign, "sr-1", envelope.TypeSent, nil, apiAt), envelope.TypeSent, envelope.SourceProviderAPI},
				{id(providers.KindDropboxSign, "sr-1", envelope.TypeDelivered, nil, at), envelope.TypeDelivered, envelope.SourceWebhook},
			},
			wantCalls: 1,
			outcome:   outcomeKept,
		},
		{
			name:    "a terminal event the API contradicts is replaced",
			adapter: dropbox,
			client:  &fakeStatus{st: providers.Status{State: envelope.StateSent, ChangedAt: apiAt}},
			events: func() []envelope.Event {
				return []envelope.Event{mustEvent(t, providers.KindDropboxSign, "sr-1", envelope.TypeCompleted, nil, at)}
			},
			want:      []want{{id(providers.KindDropboxSign, "sr-1", envelope.TypeSent, nil, apiAt), envelope.TypeSent, envelope.SourceProviderAPI}},
			wantCalls: 1,
			outcome:   outcomeCorrected,
		},
		{
			name:      "deleted at the provider",
			adapter:   esaw,
			client:    &fakeStatus{err: providers.ErrNotFound},
			events:    func() []envelope.Event { return esawEvents(t, esaw, "envelopeFinished", "", at) },
			wantCalls: 1,
			outcome:   outcomeNotFound,
			permanent: true,
		},
		{
			name:      "API down is transient",
			adapter:   esaw,
			client:    &fakeStatus{err: errors.New("connection refused")},
			events:    func() []envelope.Event { return esawEvents(t, esaw, "envelopeFinished", "", at) },
			wantCalls: 1,
			outcome:   outcomeError,
			transient: true,
		},
		{
			name:    "without an api section events pass as parsed",
			adapter: esaw,
			events:  func() []envelope.Event { return esawEvents(t, esaw, "envelopeFinished", "", at) },
			want:    []want{{id(providers.KindESignAnyWhere, esawEnv, envelope.TypeCompleted, nil, at), envelope.TypeCompleted, envelope.SourceWebhook}},
			outcome: outcomeNoAPI,
		},
		{
			name:    "a signed provider's non-terminal event is not asked about",
			adapter: docusign,
			client:  &fakeStatus{st: providers.Status{State: envelope.StateCompleted}},
			events: func() []envelope.Event {
				return []envelope.Event{mustEvent(t, providers.KindDocuSign, "env-1", envelope.TypeSent, nil, at)}
			},
			want: []want{{id(providers.KindDocuSign, "env-1", envelope.TypeSent, nil, at), envelope.TypeSent, envelope.SourceWebhook}},
		},
		{
			name:    "a view the API does not report is kept, even on a finished envelope",
			adapter: dropbox,
			client: &fakeStatus{st: providers.Status{State: envelope.StateCompleted, ChangedAt: apiAt, Recipients: []providers.RecipientStatus{
				{Recipient: *ann, State: providers.RecipientSigned}, {Recipient: *bob, State: providers.RecipientSent},
			}}},
			events: func() []envelope.Event {
				return []envelope.Event{mustEvent(t, providers.KindDropboxSign, "sr-2", envelope.TypeDelivered, bob, at)}
			},
			want: []want{
				{id(providers.KindDropboxSign, "sr-2", envelope.TypeRecipientSigned, ann, apiAt), envelope.TypeRecipientSigned, envelope.SourceProviderAPI},
				{id(providers.KindDropboxSign, "sr-2", envelope.TypeCompleted, nil, apiAt), envelope.TypeCompleted, envelope.SourceProviderAPI},
				{id(providers.KindDropboxSign, "sr-2", envelope.TypeDelivered, bob, at), envelope.TypeDelivered, envelope.SourceWebhook},
			},
			wantCalls: 1,
			outcome:   outcomeKept,
		},
		{
			name:    "a bounce the API cannot show is kept for a recipient still waiting",
			adapter: dropbox,
			client: &fakeStatus{st: providers.Status{State: envelope.StateSent, ChangedAt: apiAt, Recipients: []providers.RecipientStatus{
				{Recipient: *bob, State: providers.RecipientSent},
			}}},
			events: func() []envelope.Event {
				return []envelope.Event{mustEvent(t, providers.KindDropboxSign, "sr-3", envelope.TypeRecipientDeliveryFailed, bob, at)}
			},
			want: []want{
				{id(providers.KindDropboxSign, "sr-3", envelope.TypeSent, nil, apiAt), envelope.TypeSent, envelope.SourceProviderAPI},
				{id(providers.KindDropboxSign, "sr-3", envelope.TypeSent, bob, apiAt), envelope.TypeSent, envelope.SourceProviderAPI},
				{id(providers.KindDropboxSign, "sr-3", envelope.TypeRecipientDeliveryFailed, bob, at), envelope.TypeRecipientDeliveryFailed, envelope.SourceWebhook},
			},
			wantCalls: 1,
			outcome:   outcomeKept,
		},
		{
			name:    "one question per envelope, answers deduplicated",
			adapter: dropbox,
			client: &fakeStatus{st: providers.Status{State: envelope.StateDeclined, ChangedAt: apiAt, Recipients: []providers.RecipientStatus{
				{Recipient: *ann, State: providers.RecipientSigned}, {Recipient: *bob, State: providers.RecipientDeclined},
			}}},
			events: func() []envelope.Event {
				return []envelope.Event{
					mustEvent(t, providers.KindDropboxSign, "sr-1", envelope.TypeDeclined, nil, at),
					mustEvent(t, providers.KindDropboxSign, "sr-1", envelope.TypeRecipientDeclined, bob, at),
				}
			},
			want: []want{
				{id(providers.KindDropboxSign, "sr-1", envelope.TypeRecipientSigned, ann, apiAt), envelope.TypeRecipientSigned, envelope.SourceProviderAPI},
				{id(providers.KindDropboxSign, "sr-1", envelope.TypeRecipientDeclined, bob, apiAt), envelope.TypeRecipientDeclined, envelope.SourceProviderAPI},
				{id(providers.KindDropboxSign, "sr-1", envelope.TypeDeclined, nil, apiAt), envelope.TypeDeclined, envelope.SourceProviderAPI},
			},
			wantCalls: 1,
			outcome:   outcomeConfirmed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := map[string]providers.StatusClient{}
			if tt.client != nil {
				cs[tenant+"/"+tt.adapter.Kind()] = tt.client
			}
			c := newConfirmerWith(cs)
			got, err := c.confirm(t.Context(), tenant, tt.adapter, tt.events())
			switch {
			case tt.permanent:
				if !bus.IsPermanent(err) || !errors.Is(err, providers.ErrNotFound) {
					t.Fatalf("err = %v, want a permanent not-found error", err)
				}
			case tt.transient:
				if err == nil || bus.IsPermanent(err) {
					t.Fatalf("err = %v, want a transient error", err)
				}
			case err != nil:
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].ID != w.id || got[i].Type != w.typ || got[i].Source != w.source {
					t.Errorf("event %d = %s %s from %s, want %s %s from %s", i, got[i].ID, got[i].Type, got[i].Source, w.id, w.typ, w.source)
				}
			}
			if tt.client != nil && tt.client.calls != tt.wantCalls {
				t.Errorf("%d API calls, want %d", tt.client.calls, tt.wantCalls)
			}
			if tt.outcome != "" {
				if n := testutil.ToFloat64(c.outcomes.WithLabelValues(tt.adapter.Kind(), tt.outcome)); n < 1 {
					t.Errorf("outcome %s counted %v times, want at least once", tt.outcome, n)
				}
			} else if n := testutil.CollectAndCount(c.outcomes); n != 0 {
				t.Errorf("%d outcomes counted for events not confirmed", n)
			}
		})
	}
}

func TestNewConfirmerBuildsClientsForProvidersWithAPI(t *testing.T) {
	api := &config.API{BaseURL: "https://api.example.com", Token: config.NewSecret("t")}
	f := &config.File{Tenants: []config.Tenant{{ID: tenant, Providers: []config.Provider{
		{Kind: providers.KindESignAnyWhere, CallbackToken: config.NewSecret("x"), API: api},
		{Kind: providers.KindAdobeSign, ClientIDs: []string{"c"}},
	}}}}
	reg := prometheus.NewRegistry()
	c, err := newConfirmer(f, apiclient.Options{}, reg)
	if err != nil {
		t.Fatal(err)
	}
	cs := *c.clients.Load()
	if cs[tenant+"/"+providers.KindESignAnyWhere] == nil || cs[tenant+"/"+providers.KindAdobeSign] != nil || len(cs) != 1 {
		t.Fatalf("clients %v, want eSignAnyWhere's only", cs)
	}
	if _, err := newConfirmer(f, apiclient.Options{}, reg); err == nil {
		t.Fatal("a second confirmer registered the same counter")
	}
}
