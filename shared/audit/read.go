package audit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/httpjson"
)

// Read limits.
const (
	// DefaultLimit is how many records GET /v1/audit answers by default.
	DefaultLimit = 100
	// MaxLimit caps limit.
	MaxLimit = 1000
	// DefaultWindow is how far back a query without since looks.
	DefaultWindow = 30 * 24 * time.Hour
	fetchWait     = 2 * time.Second
)

// Query selects records: those on Tenants' subjects (nil = every tenant
// and the tenant-less ones) stored since Since; the newest Limit of them.
type Query struct {
	Tenants []string
	Since   time.Time
	Limit   int
}

// Reader reads the AUDIT stream.
type Reader struct {
	js  jetstream.JetStream
	now func() time.Time
}

// NewReader returns a Reader over js.
func NewReader(js jetstream.JetStream) *Reader { return &Reader{js: js, now: time.Now} }

// List returns the newest q.Limit records matching q, oldest first.
func (rd *Reader) List(ctx context.Context, q Query) ([]Record, error) {
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	if q.Since.IsZero() {
		q.Since = rd.now().Add(-DefaultWindow)
	}
	s, err := rd.js.Stream(ctx, bus.StreamAudit)
	if err != nil {
		return nil, unavailable(err)
	}
	if s.CachedInfo().State.Msgs == 0 {
		return []Record{}, nil
	}
	filters := []string{bus.StreamAuditSubjects}
	if q.Tenants != nil {
		filters = filters[:0]
		for _, t := range q.Tenants {
			filters = append(filters, Subject(t))
		}
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: filters, DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime: &q.Since, InactiveThreshold: 30 * time.Second,
	})
	if err != nil {
		return nil, unavailable(err)
	}
	defer func() {
		if info := cons.CachedInfo(); info != nil {
			_ = s.DeleteConsumer(context.WithoutCancel(ctx), info.Name)
		}
	}()
	out := []Record{}
	if info := cons.CachedInfo(); info == nil || info.NumPending == 0 {
		return out, nil
	}
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(fetchWait))
		if err != nil {
			return nil, unavailable(err)
		}
		n, done := 0, false
		for msg := range batch.Messages() {
			n++
			var rec Record
			if json.Unmarshal(msg.Data(), &rec) == nil {
				out = append(out, rec)
				if len(out) > q.Limit {
					out = out[1:]
				}
			}
			if md, err := msg.Metadata(); err == nil && md.NumPending == 0 {
				// The end of the trail: do not wait out the fetch.
				done = true
				break
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, unavailable(err)
		}
		if done || n == 0 {
			return out, nil
		}
	}
}

// Handler serves GET /v1/audit?tenant=&since=&limit= behind access.Guard:
// {"records":[…]}, oldest first. A token limited to some tenants sees
// only their records; an unrestricted one sees all, tenant-less actions
// included, unless it names a tenant.
func (rd *Reader) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := access.FromContext(r.Context())
		if !ok {
			access.Forbid(w, "no principal (route not behind the admin token)")
			return
		}
		qv := r.URL.Query()
		q := Query{Tenants: p.Tenants}
		if t := qv.Get("tenant"); t != "" {
			if !access.Allow(w, r, t) {
				return
			}
			q.Tenants = []string{t}
		}
		if s := qv.Get("since"); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				httpjson.Error(w, http.StatusBadRequest, "since: want RFC 3339")
				return
			}
			q.Since = t
		}
		if s := qv.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				httpjson.Error(w, http.StatusBadRequest, "limit: want a positive integer (at most 1000)")
				return
			}
			q.Limit = n
		}
		recs, err := rd.List(r.Context(), q)
		if err != nil {
			httpjson.Error(w, http.StatusServiceUnavailable, "audit trail unavailable")
			return
		}
		httpjson.Write(w, http.StatusOK, struct {
			Records []Record `json:"records"`
		}{recs})
	})
}
