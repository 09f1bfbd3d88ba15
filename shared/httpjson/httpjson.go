// Package httpjson is the one JSON answer format of countersign's HTTP
// APIs (admin, DLQ and replay, forwarded service endpoints): a value as
// JSON, or {"error": "..."} with the status.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is every error answer.
type ErrorBody struct {
	Error string `json:"error"`
}

// Write answers v as JSON with status; answers are never cached (they
// carry envelope state and DLQ contents).
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// The status is already sent: an encoding error can only be a broken
	// connection, which the client sees by itself.
	_ = json.NewEncoder(w).Encode(v)
}

// Error answers {"error": msg} with status.
func Error(w http.ResponseWriter, status int, msg string) {
	Write(w, status, ErrorBody{Error: msg})
}

// Unmatched makes the mux's own answers for unmatched requests (404, and
// 405 with its Allow header) JSON like every other error, while keeping
// the mux's method-aware routing.
func Unmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{header: http.Header{}}
		mux.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			if allow := rec.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			Error(w, rec.status, http.StatusText(rec.status))
		default:
			// Redirects (path cleaning) and anything else pass through.
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body)
		}
	})
}

// statusRecorder captures the mux's short built-in answers.
type statusRecorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *statusRecorder) Header() http.Header { return r.header }

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body = append(r.body, p...)
	return len(p), nil
}
