package dlq

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/bus"
	"github.com/countersign/countersign/shared/httpjson"
)

// maxRequestBody bounds a replay request (a list of ids at most).
const maxRequestBody = 1 << 20

// API serves the DLQ admin routes. It does no authentication: mount it
// behind the admin service's bearer token (admin.Config.Mount); it checks
// the tenants the token may touch (access.Allow).
type API struct {
	store *Store
	log   *slog.Logger
}

// NewAPI returns the routes over store; log defaults to slog.Default().
func NewAPI(store *Store, log *slog.Logger) *API {
	if log == nil {
		log = slog.Default()
	}
	return &API{store: store, log: log}
}

// Mount adds GET /v1/dlq, POST /v1/replay and POST /v1/replay/raw to mux.
func (a *API) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/dlq", a.list)
	mux.HandleFunc("POST /v1/replay", a.replay)
	mux.HandleFunc("POST /v1/replay/raw", a.replayRaw)
}

// EntryView is one entry of GET /v1/dlq: the contract's fields, then
// where the message was and its replay record. Headers and payload are
// left out (they can be megabytes); a replay uses them from the stream.
type EntryView struct {
	ID             string     `json:"id"`
	Service        string     `json:"service"`
	Tenant         string     `json:"tenant"`
	EnvelopeID     string     `json:"envelope_id"`
	Subject        string     `json:"subject"`
	Error          string     `json:"error"`
	ErrorClass     string     `json:"error_class"`
	Attempts       int        `json:"attempts"`
	FirstAttemptAt time.Time  `json:"first_attempt_at"`
	LastAttemptAt  time.Time  `json:"last_attempt_at"`
	DeadAt         time.Time  `json:"dead_at"`
	Stream         string     `json:"stream"`
	StreamSeq      uint64     `json:"stream_seq"`
	ReplayedAt     *time.Time `json:"replayed_at,omitempty"`
	ReplayResult   string     `json:"replay_result,omitempty"`
}

// ListView is the answer of GET /v1/dlq.
type ListView struct {
	Entries []EntryView `json:"entries"`
}

func newEntryView(d bus.DeadLetter) EntryView {
	return EntryView{
		ID: d.ID, Service: d.Service, Tenant: d.Tenant, EnvelopeID: d.EnvelopeID,
		Subject: d.Subject, Error: d.Error, ErrorClass: d.ErrorClass, Attempts: d.Attempts,
		FirstAttemptAt: d.FirstAttemptAt, LastAttemptAt: d.LastAttemptAt, DeadAt: d.DeadAt,
		Stream: d.Stream, StreamSeq: d.StreamSeq, ReplayedAt: d.ReplayedAt, ReplayResult: d.ReplayResult,
	}
}

// ReplayRequest is the body of POST /v1/replay.
type ReplayRequest struct {
	IDs     []string   `json:"ids,omitempty"`
	Since   *time.Time `json:"since,omitempty"`
	Until   *time.Time `json:"until,omitempty"`
	Tenant  string     `json:"tenant,omitempty"`
	Service string     `json:"service,omitempty"`
	Class   string     `json:"class,omitempty"`
	DryRun  bool       `json:"dry_run,omitempty"`
	Force   bool       `json:"force,omitempty"`
}

// RawReplayRequest is the body of POST /v1/replay/raw.
type RawReplayRequest struct {
	Since    *time.Time `json:"since,omitempty"`
	Until    *time.Time `json:"until,omitempty"`
	Tenant   string     `json:"tenant,omitempty"`
	Provider string     `json:"provider,omitempty"`
	DryRun   bool       `json:"dry_run,omitempty"`
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if !access.Allow(w, r, f.Tenant) {
		return
	}
	entries, err := a.store.List(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := ListView{Entries: make([]EntryView, 0, len(entries))}
	for _, e := range entries {
		out.Entries = append(out.Entries, newEntryView(e))
	}
	httpjson.Write(w, http.StatusOK, out)
}

func (a *API) replay(w http.ResponseWriter, r *http.Request) {
	var req ReplayRequest
	if !decodeBody(w, r, &req) {
		return
	}
	sel := Selection{
		IDs:    req.IDs,
		Filter: Filter{Tenant: req.Tenant, Service: req.Service, Class: req.Class, Since: deref(req.Since), Until: deref(req.Until)},
		DryRun: req.DryRun,
		Force:  req.Force,
	}
	if len(req.IDs) > 0 {
		// Ids are checked entry by entry: another tenant's read as unknown.
		p, ok := access.FromContext(r.Context())
		if !ok {
			access.Forbid(w, "no principal (route not behind the admin token)")
			return
		}
		sel.Tenants = p.Tenants
	} else if !access.Allow(w, r, req.Tenant) {
		return
	}
	res, err := a.store.Replay(r.Context(), sel)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.InfoContext(r.Context(), "dlq: replay", "ids", len(req.IDs), "dry_run", req.DryRun, "force", req.Force,
		"matched", res.Matched, "replayed", res.Replayed, "skipped", res.Skipped, "failed", res.Failed)
	httpjson.Write(w, http.StatusOK, res)
}

func (a *API) replayRaw(w http.ResponseWriter, r *http.Request) {
	var req RawReplayRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !access.Allow(w, r, req.Tenant) {
		return
	}
	sel := RawSelection{Since: deref(req.Since), Until: deref(req.Until), Tenant: req.Tenant, Provider: req.Provider, DryRun: req.DryRun}
	res, err := a.store.ReplayRaw(r.Context(), sel)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.InfoContext(r.Context(), "dlq: raw replay", "tenant", req.Tenant, "provider", req.Provider, "dry_run", req.DryRun,
		"matched", res.Matched, "replayed", res.Replayed, "failed", res.Failed)
	httpjson.Write(w, http.StatusOK, res)
}

// fail answers 400 for a bad selection, 503 for anything else (the
// stream could not be read: NATS is away).
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrInvalidSelection) {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	a.log.ErrorContext(r.Context(), "dlq: request failed", "path", r.URL.Path, "err", err)
	httpjson.Error(w, http.StatusServiceUnavailable, "DLQ unavailable")
}

// parseFilter reads GET /v1/dlq's query.
func parseFilter(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Tenant: q.Get("tenant"), Service: q.Get("service"), Class: q.Get("class")}
	var err error
	if f.Since, err = parseTime("since", q.Get("since")); err != nil {
		return f, err
	}
	if f.Until, err = parseTime("until", q.Get("until")); err != nil {
		return f, err
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return f, fmt.Errorf("limit %q: want a positive integer (at most %d)", s, MaxLimit)
		}
		f.Limit = n
	}
	return f, nil
}

func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want RFC 3339", name, s)
	}
	return t, nil
}

// decodeBody decodes a JSON body into v, answering 400 (false) when it is
// not exactly one JSON object of v's fields.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		httpjson.Error(w, http.StatusBadRequest, "request body: "+err.Error())
		return false
	}
	if dec.More() {
		httpjson.Error(w, http.StatusBadRequest, "request body: more than one JSON value")
		return false
	}
	return true
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
