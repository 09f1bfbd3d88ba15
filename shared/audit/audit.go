// Package audit records every admin action — replay, reconcile, export,
// resume: any request that is not a read — on the AUDIT stream, with the
// name of the token that made it (never the token), what it asked, when,
// and the answer's status. GET /v1/audit reads the trail back.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/countersign/countersign/shared/access"
	"github.com/countersign/countersign/shared/bus"
)

const (
	// maxRecordedBody is the largest request body kept in a record; a
	// larger one (a long list of ids) is recorded by its size.
	maxRecordedBody = 8 << 10
	// publishTimeout bounds writing one record.
	publishTimeout = 5 * time.Second
)

// Record is one admin action.
type Record struct {
	// At is when the action finished.
	At time.Time `json:"at"`
	// Token is the acting token's name (admin.tokens[].name).
	Token string `json:"token"`
	// Action is the route: "POST /v1/replay".
	Action string `json:"action"`
	// Path is the request's path and query.
	Path string `json:"path"`
	// Tenant is the tenant acted on, from the path or the body's
	// "tenant"; empty when the action named none.
	Tenant string `json:"tenant,omitempty"`
	// Status is the HTTP status of the answer.
	Status int `json:"status"`
	// Request is the JSON body, when it is small enough.
	Request json.RawMessage `json:"request,omitempty"`
	// RequestOmitted says why the body is not in Request (too large, not
	// JSON).
	RequestOmitted string `json:"request_omitted,omitempty"`
	// Denied is why the token was refused (403) before anything was
	// done: an attempt outside its role or tenants.
	Denied string `json:"denied,omitempty"`
}

// Denied records an attempt access.GuardWith refused: nothing was done,
// but who tried what is worth keeping. The tenant is the path's, if any.
func (rc *Recorder) Denied(r *http.Request, p access.Principal, reason string) {
	rec := Record{
		At: rc.now().UTC(), Token: p.Name, Action: r.Method + " " + r.URL.Path, Path: r.URL.RequestURI(),
		Status: http.StatusForbidden, Denied: reason,
	}
	if r.Pattern != "" && r.Pattern != "/" {
		rec.Action = r.Pattern
	}
	rc.Record(r.Context(), rec)
}

// Subject returns the AUDIT subject of an action on tenant ("" = none).
func Subject(tenant string) string { return bus.AuditSubject(tenant) }

// Recorder writes records to the AUDIT stream.
type Recorder struct {
	js  jetstream.JetStream
	log *slog.Logger
	now func() time.Time
}

// NewRecorder returns a Recorder publishing with js; log defaults to
// slog.Default().
func NewRecorder(js jetstream.JetStream, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	return &Recorder{js: js, log: log, now: time.Now}
}

// Record publishes rec. A record that cannot be written is logged (its
// fields hold no secret) so the action still leaves a trace.
func (rc *Recorder) Record(ctx context.Context, rec Record) {
	data, err := json.Marshal(rec)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
		defer cancel()
		_, err = rc.js.Publish(ctx, Subject(rec.Tenant), data)
	}
	if err != nil {
		rc.log.ErrorContext(ctx, "audit: record not stored", "token", rec.Token, "action", rec.Action,
			"path", rec.Path, "tenant", rec.Tenant, "status", rec.Status, "err", err)
	}
}

// Middleware records every request to next that is not a read, once next
// has answered. It must sit inside access.Guard (it needs the principal).
func (rc *Recorder) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		p, _ := access.FromContext(r.Context())
		body, size := peekBody(r)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		rec := Record{
			At: rc.now().UTC(), Token: p.Name, Action: r.Method + " " + r.URL.Path,
			Path: r.URL.RequestURI(), Status: sw.status(),
		}
		if r.Pattern != "" {
			rec.Action = r.Pattern
		}
		rec.Tenant = r.PathValue("tenant")
		switch {
		case size > maxRecordedBody:
			rec.RequestOmitted = "larger than 8 KiB"
		case size > 0 && !json.Valid(body):
			rec.RequestOmitted = "not JSON"
		case size > 0:
			rec.Request = body
		}
		if rec.Tenant == "" && len(body) > 0 {
			var b struct {
				Tenant string `json:"tenant"`
			}
			if json.Unmarshal(body, &b) == nil {
				rec.Tenant = b.Tenant
			}
		}
		rc.Record(r.Context(), rec)
	})
}

// peekBody reads up to maxRecordedBody+1 bytes of r's body and puts them
// back in front of the rest, so the handler reads the whole body as sent.
// It returns what it read and its length (at most maxRecordedBody+1).
func peekBody(r *http.Request) ([]byte, int) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0
	}
	buf, _ := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
	return buf, len(buf)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// ErrUnavailable wraps a failure to read the AUDIT stream.
var ErrUnavailable = errors.New("audit: trail unavailable")

func unavailable(err error) error { return fmt.Errorf("%w: %w", ErrUnavailable, err) }
