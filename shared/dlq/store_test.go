package dlq

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/countersign/countersign/shared/bus"
)

func TestListFilters(t *testing.T) {
	n := startBus(t)
	s := newTestStore(t, n)
	base := time.Now().UTC().Truncate(time.Second)
	for _, e := range []bus.DeadLetter{
		entry("a", "verifier", "acme", bus.ClassPermanent, base),
		entry("b", "statesync", "acme", bus.ClassTransient, base.Add(time.Minute)),
		entry("c", "verifier", "globex", bus.ClassPanic, base.Add(2*time.Minute)),
		entry("d", "statesync", "globex", ClassMaxDeliveries, base.Add(3*time.Minute)),
	} {
		writeEntry(t, n.JS, e)
	}
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{"everything", Filter{}, []string{"a", "b", "c", "d"}},
		{"tenant", Filter{Tenant: "acme"}, []string{"a", "b"}},
		{"service", Filter{Service: "verifier"}, []string{"a", "c"}},
		{"tenant and service", Filter{Tenant: "globex", Service: "statesync"}, []string{"d"}},
		{"class", Filter{Class: bus.ClassPanic}, []string{"c"}},
		{"since inclusive", Filter{Since: base.Add(time.Minute)}, []string{"b", "c", "d"}},
		{"until inclusive", Filter{Until: base.Add(time.Minute)}, []string{"a", "b"}},
		{"window", Filter{Since: base.Add(30 * time.Second), Until: base.Add(150 * time.Second)}, []string{"b", "c"}},
		{"limit", Filter{Limit: 2}, []string{"a", "b"}},
		{"no match", Filter{Tenant: "initech"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.List(t.Context(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("List = %v, want %v", ids(got), tc.want)
			}
		})
	}
}

func TestListRejectsBadFilters(t *testing.T) {
	n := startBus(t)
	s := newTestStore(t, n)
	now := time.Now()
	for name, f := range map[string]Filter{
		"wildcard tenant":    {Tenant: "*"},
		"dotted service":     {Service: "a.b"},
		"until before since": {Since: now, Until: now.Add(-time.Second)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.List(t.Context(), f); !errors.Is(err, ErrInvalidSelection) {
				t.Errorf("List = %v, want ErrInvalidSelection", err)
			}
		})
	}
}

func TestListOnEmptyDLQ(t *testing.T) {
	n := startBus(t)
	got, err := newTestStore(t, n).List(t.Context(), Filter{})
	if err != nil || len(got) != 0 {
		t.Errorf("List = %v, %v; want nothing", got, err)
	}
}

func TestFilterLimit(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, DefaultLimit}, {-3, DefaultLimit}, {7, 7}, {MaxLimit + 1, MaxLimit}} {
		if got := (Filter{Limit: tc.in}).limit(); got != tc.want {
			t.Errorf("limit(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
