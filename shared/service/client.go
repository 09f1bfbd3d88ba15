package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/countersign/countersign/shared/httpjson"
)

// maxForwardBody caps a request body Forward passes on.
const maxForwardBody = 64 << 10

// Call sends data to endpoint of service and decodes the JSON reply into
// out (when non-nil). An error reply comes back as an *Error; no running
// replica as an *Error with status 503, no answer within ctx as one with
// status 504.
func Call(ctx context.Context, nc *nats.Conn, service, endpoint string, data []byte, out any) error {
	msg, err := nc.RequestWithContext(ctx, Subject(service, endpoint), data)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return Unavailable("no "+service+" is running to answer "+endpoint, 5*time.Second)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return &Error{Status: http.StatusGatewayTimeout, Message: service + " did not answer " + endpoint + " in time"}
	case err != nil:
		return fmt.Errorf("service: call %s.%s: %w", service, endpoint, err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		status, convErr := strconv.Atoi(code)
		if convErr != nil || status < 400 || status > 599 {
			status = http.StatusBadGateway
		}
		e := &Error{Status: status, Message: msg.Header.Get(micro.ErrorHeader)}
		if s, convErr := strconv.Atoi(msg.Header.Get(headerRetryAfter)); convErr == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(msg.Data, out); err != nil {
		return fmt.Errorf("service: reply of %s.%s: %w", service, endpoint, err)
	}
	return nil
}

// Forward is an HTTP handler that passes the request body (at most 64
// KiB) to endpoint of service and answers its reply: the JSON result with
// 200, or {"error": …} with the *Error's status (and Retry-After). The
// admin API mounts endpoints this way behind its token, so it reaches a
// service in the same process or in another one alike.
func Forward(nc *nats.Conn, service, endpoint string, timeout time.Duration) http.HandlerFunc {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxForwardBody+1))
		if err != nil {
			httpjson.Error(w, http.StatusBadRequest, "read body: "+err.Error())
			return
		}
		if len(body) > maxForwardBody {
			httpjson.Error(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		var reply json.RawMessage
		err = Call(ctx, nc, service, endpoint, body, &reply)
		WriteHTTP(w, reply, err)
	}
}

// WriteHTTP answers v with 200, or err as {"error": …} with its status:
// an *Error's own, 500 for anything else.
func WriteHTTP(w http.ResponseWriter, v any, err error) {
	if err == nil {
		httpjson.Write(w, http.StatusOK, v)
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		httpjson.Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())))
	}
	httpjson.Error(w, e.Status, e.Message)
}
