package service

import (
	"bytes"
	"errors"
	"time"
)

// ErrInvalid is returned by Serve for an unusable Info or connection.
var ErrInvalid = errors.New("service: invalid registration")

// headerRetryAfter carries Error.RetryAfter (seconds) in an error reply.
const headerRetryAfter = "Retry-After"

// Error is an endpoint's answer that is not a result: the HTTP status it
// maps to (400 bad request, 404 unknown, 503 busy, 502 upstream failed,
// …), the message the caller shows, and for 503 how long to wait.
type Error struct {
	Status     int
	Message    string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// BadRequest is an *Error with status 400.
func BadRequest(msg string) *Error { return &Error{Status: 400, Message: msg} }

// NotFound is an *Error with status 404.
func NotFound(msg string) *Error { return &Error{Status: 404, Message: msg} }

// Unavailable is an *Error with status 503 and a Retry-After.
func Unavailable(msg string, retryAfter time.Duration) *Error {
	return &Error{Status: 503, Message: msg, RetryAfter: retryAfter}
}

// BadGateway is an *Error with status 502: a provider's API failed.
func BadGateway(msg string) *Error { return &Error{Status: 502, Message: msg} }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
