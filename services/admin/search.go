package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/envelope"
	"github.com/countersign/countersign/shared/httpjson"
)

// Search limits: the console asks for a page, never the whole bucket.
const (
	defaultSearchLimit = 50
	maxSearchLimit     = 500
)

// searchView is the answer of GET /v1/tenants/{t}/envelopes: the matching
// envelopes, most recently updated first, in the shape of the single
// envelope answer; scanned is how many records of the tenant were read.
type searchView struct {
	Envelopes []envelopeView `json:"envelopes"`
	Scanned   int            `json:"scanned"`
	Truncated bool           `json:"truncated"`
}

// searchQuery is GET /v1/tenants/{t}/envelopes's query.
type searchQuery struct {
	state, provider, q string
	limit              int
}

func parseSearch(r *http.Request) (searchQuery, error) {
	v := r.URL.Query()
	sq := searchQuery{state: v.Get("state"), provider: v.Get("provider"), q: strings.ToLower(v.Get("q")), limit: defaultSearchLimit}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxSearchLimit {
			return sq, fmt.Errorf("limit %q: want 1 to %d", s, maxSearchLimit)
		}
		sq.limit = n
	}
	if sq.state != "" && !envelope.State(sq.state).Valid() {
		return sq, fmt.Errorf("state %q: not an envelope state", sq.state)
	}
	return sq, nil
}

// matches reports whether rec passes the query's filters.
func (sq searchQuery) matches(rec *envelope.Record) bool {
	return (sq.state == "" || string(rec.State) == sq.state) &&
		(sq.provider == "" || rec.Provider == sq.provider) &&
		(sq.q == "" || strings.Contains(strings.ToLower(rec.EnvelopeID), sq.q))
}

// searchEnvelopes scans the tenant's records in the KV projection: an
// operator's search, not a hot path (a tenant's keys are read once per
// request; the answer keeps the newest `limit` matches).
func (s *Service) searchEnvelopes(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !envelope.ValidTenant(tenant) {
		httpjson.Error(w, http.StatusNotFound, "unknown tenant")
		return
	}
	sq, err := parseSearch(r)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	out := searchView{Envelopes: []envelopeView{}}
	err = s.scanRecords(r.Context(), tenant, func(rec *envelope.Record) {
		out.Scanned++
		if !sq.matches(rec) {
			return
		}
		out.Envelopes = append(out.Envelopes, newEnvelopeView(*rec))
		// Keep memory bounded on a large tenant: cut back to the newest
		// limit whenever twice that many are held.
		if len(out.Envelopes) >= 2*sq.limit {
			sortRecent(out.Envelopes)
			out.Envelopes, out.Truncated = out.Envelopes[:sq.limit], true
		}
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sortRecent(out.Envelopes)
	if len(out.Envelopes) > sq.limit {
		out.Envelopes, out.Truncated = out.Envelopes[:sq.limit], true
	}
	httpjson.Write(w, http.StatusOK, out)
}

func sortRecent(v []envelopeView) {
	slices.SortStableFunc(v, func(a, b envelopeView) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.EnvelopeID, b.EnvelopeID)
	})
}

// scanRecords calls fn for every record of tenant in the envelopes
// bucket: one ordered watch over the tenant's keys, stopped once the
// current values are delivered.
func (s *Service) scanRecords(ctx context.Context, tenant string, fn func(*envelope.Record)) error {
	records, err := bus.OpenRecords(ctx, s.js)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	return records.Scan(ctx, tenant, fn)
}
