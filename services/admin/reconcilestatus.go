package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/httpjson"
)

// reconcileStatusView is the answer of GET /v1/tenants/{t}/reconcile:
// what the reconciler keeps per provider of the tenant in the cursors
// bucket (services/reconciler/store.go writes it). Incident mode, drift
// and lag are the reconciler's metrics, on /metrics.
type reconcileStatusView struct {
	Providers []reconcileProviderView `json:"providers"`
}

type reconcileProviderView struct {
	Provider string `json:"provider"`
	// Since is where the next "changed since" poll starts; LastRound is
	// when the last round finished.
	Since     *time.Time `json:"since,omitempty"`
	LastRound *time.Time `json:"last_round,omitempty"`
	// LeaseHolder is the replica polling now (or last), until LeaseUntil.
	LeaseHolder string     `json:"lease_holder,omitempty"`
	LeaseUntil  *time.Time `json:"lease_until,omitempty"`
}

// reconcileStatus reads the tenant's cursor.<tenant>.<provider> and
// lease.<tenant>.<provider> keys.
func (s *Service) reconcileStatus(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !envelope.ValidTenant(tenant) {
		httpjson.Error(w, http.StatusNotFound, "unknown tenant")
		return
	}
	out := reconcileStatusView{Providers: []reconcileProviderView{}}
	kv, err := s.js.KeyValue(r.Context(), bus.BucketCursors)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		httpjson.Write(w, http.StatusOK, out)
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("admin: bucket %s: %w", bus.BucketCursors, err))
		return
	}
	byProvider := map[string]*reconcileProviderView{}
	view := func(p string) *reconcileProviderView {
		if byProvider[p] == nil {
			byProvider[p] = &reconcileProviderView{Provider: p}
		}
		return byProvider[p]
	}
	for _, kind := range []string{"cursor", "lease"} {
		keys, err := kv.ListKeysFiltered(r.Context(), kind+"."+tenant+".*")
		if err != nil {
			s.fail(w, r, fmt.Errorf("admin: list %s keys of %s: %w", kind, tenant, err))
			return
		}
		for key := range keys.Keys() {
			e, err := kv.Get(r.Context(), key)
			if err != nil {
				continue // deleted between the listing and the read
			}
			v := view(strings.TrimPrefix(key, kind+"."+tenant+"."))
			if kind == "cursor" {
				var c struct {
					Since     time.Time `json:"since"`
					LastRound time.Time `json:"last_round"`
				}
				if json.Unmarshal(e.Value(), &c) == nil {
					v.Since, v.LastRound = timeOrNil(c.Since), timeOrNil(c.LastRound)
				}
				continue
			}
			var l bus.Lease
			if json.Unmarshal(e.Value(), &l) == nil {
				v.LeaseHolder, v.LeaseUntil = l.Holder, timeOrNil(l.Until)
			}
		}
	}
	for _, v := range byProvider {
		out.Providers = append(out.Providers, *v)
	}
	slices.SortFunc(out.Providers, func(a, b reconcileProviderView) int { return strings.Compare(a.Provider, b.Provider) })
	httpjson.Write(w, http.StatusOK, out)
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
