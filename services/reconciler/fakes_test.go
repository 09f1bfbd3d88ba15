package reconciler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/services/reconciler/internal/incident"
	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/providers"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeAPI is a provider API: the truth per envelope, a change list when
// it is a lister, and a count of calls.
type fakeAPI struct {
	mu       sync.Mutex
	truth    map[string]providers.Status
	err      error
	statuses int
	lists    int
	since    []time.Time
	// bare lists envelopes without their recipients, as DocuSign does.
	bare bool
}

func (f *fakeAPI) Status(_ context.Context, id string) (providers.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses++
	if f.err != nil {
		return providers.Status{}, f.err
	}
	st, ok := f.truth[id]
	if !ok {
		return providers.Status{}, fmt.Errorf("fake: %s: %w", id, providers.ErrNotFound)
	}
	return st, nil
}

func (f *fakeAPI) set(st providers.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.truth[st.EnvelopeID] = st
}

func (f *fakeAPI) counts() (statuses, lists int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statuses, f.lists
}

// fakeLister adds a change list to fakeAPI.
type fakeLister struct{ *fakeAPI }

func (f fakeLister) ListChanged(_ context.Context, since time.Time) ([]providers.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	f.since = append(f.since, since)
	if f.err != nil {
		return nil, f.err
	}
	var out []providers.Status
	for _, st := range f.truth {
		if !st.ChangedAt.Before(since) {
			if f.bare {
				st.Recipients = nil
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// memState is records, cursors and leases in memory; its Publish applies
// events the way statesync does, so a second round sees their effect.
type memState struct {
	mu        sync.Mutex
	clock     *clock
	records   map[string]envelope.Record
	published []envelope.Event
	cursors   map[string]Cursor
	checked   map[string]time.Time
	leased    map[string]bool
}

func newMemState(c *clock) *memState {
	return &memState{clock: c, records: map[string]envelope.Record{}, cursors: map[string]Cursor{},
		checked: map[string]time.Time{}, leased: map[string]bool{}}
}

func (m *memState) Record(_ context.Context, tenant, id string) (*envelope.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[envelope.RecordKey(tenant, id)]
	if !ok {
		return nil, nil
	}
	return &r, nil
}

func (m *memState) Scan(_ context.Context, tenant string, fn func(*envelope.Record)) error {
	m.mu.Lock()
	var recs []envelope.Record
	for _, r := range m.records {
		if r.Tenant == tenant {
			recs = append(recs, r)
		}
	}
	m.mu.Unlock()
	for i := range recs {
		fn(&recs[i])
	}
	return nil
}

func (m *memState) Publish(_ context.Context, evs []envelope.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ev := range evs {
		m.published = append(m.published, ev)
		key := envelope.RecordKey(ev.Tenant, ev.EnvelopeID)
		next, _, err := envelope.Apply(m.records[key], ev, m.clock.Now())
		if err != nil {
			return err
		}
		m.records[key] = next
	}
	return nil
}

// apply records webhook events, as if they had come through ingress.
func (m *memState) apply(t *testing.T, evs ...envelope.Event) {
	t.Helper()
	for _, ev := range evs {
		ev.ID = envelope.EventID(ev.Tenant, ev.Provider, ev.EnvelopeID, ev.Type, ev.Recipient, ev.OccurredAt)
		key := envelope.RecordKey(ev.Tenant, ev.EnvelopeID)
		m.mu.Lock()
		next, _, err := envelope.Apply(m.records[key], ev, m.clock.Now())
		m.records[key] = next
		m.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (m *memState) takePublished() []envelope.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.published
	m.published = nil
	return p
}

func (m *memState) state(tenant, id string) (envelope.State, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.records[envelope.RecordKey(tenant, id)]
	return r.State, r.Conflict
}

func (m *memState) Cursor(_ context.Context, tenant, provider string) (Cursor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursors[tenant+"/"+provider], nil
}

func (m *memState) SetCursor(_ context.Context, tenant, provider string, c Cursor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cursors[tenant+"/"+provider] = c
	return nil
}

func (m *memState) LastChecked(_ context.Context, tenant, provider, id string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.checked[tenant+"/"+provider+"/"+id], nil
}

func (m *memState) SetChecked(_ context.Context, tenant, provider, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checked[tenant+"/"+provider+"/"+id] = at
	return nil
}

func (m *memState) Acquire(_ context.Context, tenant, provider string, _ time.Duration) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := tenant + "/" + provider
	if m.leased[key] {
		return nil, ErrLeaseHeld
	}
	m.leased[key] = true
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.leased, key)
	}, nil
}

// quietWatcher reports no traffic at all.
type quietWatcher struct{ c *clock }

func (w quietWatcher) Signals(context.Context, string, string) (incident.Signals, error) {
	return incident.Signals{At: w.c.Now()}, nil
}

// fixture is a reconciler over fakes for one tenant with a docusign
// (lister) and an adobesign (per-envelope) provider.
type fixture struct {
	svc      *Service
	clock    *clock
	state    *memState
	docusign *fakeAPI
	adobe    *fakeAPI
}

var t0 = time.Date(2026, 1, 13, 9, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := &clock{t: t0}
	f := &fixture{clock: c, state: newMemState(c),
		docusign: &fakeAPI{truth: map[string]providers.Status{}},
		adobe:    &fakeAPI{truth: map[string]providers.Status{}}}
	api := &config.API{BaseURL: "http://api.test"}
	file := &config.File{Tenants: []config.Tenant{{ID: "acme", Providers: []config.Provider{
		{Kind: providers.KindDocuSign, API: api, Reconcile: &config.Reconcile{
			Interval: config.Duration(5 * time.Minute), IncidentInterval: config.Duration(time.Minute), StaleAfter: config.Duration(time.Hour)}},
		{Kind: providers.KindAdobeSign, API: api},
		{Kind: providers.KindStandardWebhooks},
	}}}}
	svc, err := New(context.Background(), Config{
		File: file, Records: f.state, Publisher: f.state, Cursors: f.state, Leases: f.state,
		Watcher: quietWatcher{c}, Now: c.Now,
		Client: func(p config.Provider) (providers.StatusClient, error) {
			switch {
			case p.API == nil:
				return nil, nil
			case p.Kind == providers.KindDocuSign:
				return fakeLister{f.docusign}, nil
			case p.Kind == providers.KindAdobeSign:
				return f.adobe, nil
			}
			return nil, errors.New("unexpected provider")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func webhook(kind, id string, typ envelope.Type, r *envelope.RecipientRef, at time.Time) envelope.Event {
	return envelope.Event{Tenant: "acme", Provider: kind, EnvelopeID: id, Type: typ, Recipient: r, OccurredAt: at, Source: envelope.SourceWebhook}
}
