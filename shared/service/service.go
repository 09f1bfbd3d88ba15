// Package service makes a countersign service discoverable and callable
// over NATS: every service registers as a NATS micro service
// (github.com/nats-io/nats.go/micro) — name, version, a unique instance
// id, per-endpoint stats — so `nats micro ls` and `$SRV.PING` list every
// running service and replica, in the all-in-one and standalone alike.
// Request endpoints (the reconciler's reconcile, …) are served on
// countersign.<service>.<endpoint> in a queue group, so any replica may
// answer; callers (the admin API) use Call or Forward and never import
// the service's package.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// Version is the version every service announces; release builds set it
// with -ldflags "-X github.com/countersign/countersign/shared/service.Version=1.2.3".
var Version = "0.1.0"

// DefaultTimeout bounds one request handled by an endpoint when the
// Endpoint sets none.
const DefaultTimeout = 2 * time.Minute

// Runner is a built service (process.Runner has the same shape).
type Runner interface {
	Run(ctx context.Context) error
}

// HandlerFunc answers one request: the JSON it returns is the reply; an
// *Error (or an error wrapping one) is answered with its status, any
// other error with 500.
type HandlerFunc func(ctx context.Context, data []byte) (any, error)

// Endpoint is one request endpoint of a service.
type Endpoint struct {
	// Name is the endpoint's name ([A-Za-z0-9_-]); it is served on
	// Subject(service, Name).
	Name string
	// Handle answers a request.
	Handle HandlerFunc
	// Timeout bounds one request (default DefaultTimeout).
	Timeout time.Duration
}

// Info describes a service.
type Info struct {
	// Name is the service's name without prefix ("reconciler"); it is
	// announced as "countersign-<Name>".
	Name        string
	Description string
	Endpoints   []Endpoint
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Subject is where endpoint of service is served.
func Subject(service, endpoint string) string {
	return "countersign." + service + "." + endpoint
}

// MicroName is the micro service name of a countersign service.
func MicroName(service string) string { return "countersign-" + service }

// Serve registers info with nc as a micro service now (so it answers
// $SRV.PING and its endpoints as soon as it is built) and returns a
// Runner that runs r and stops the registration when r returns. r may be
// nil for a service that only answers requests.
func Serve(nc *nats.Conn, info Info, r Runner) (Runner, error) {
	if nc == nil || info.Name == "" {
		return nil, fmt.Errorf("%w: a NATS connection and a name are required", ErrInvalid)
	}
	if info.Logger == nil {
		info.Logger = slog.Default()
	}
	srv, err := micro.AddService(nc, micro.Config{
		Name: MicroName(info.Name), Version: Version, Description: info.Description,
	})
	if err != nil {
		return nil, fmt.Errorf("service %s: register: %w", info.Name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	for _, ep := range info.Endpoints {
		h := handler(ctx, info.Name, ep, info.Logger)
		if err := srv.AddEndpoint(ep.Name, h, micro.WithEndpointSubject(Subject(info.Name, ep.Name))); err != nil {
			cancel()
			_ = srv.Stop()
			return nil, fmt.Errorf("service %s: endpoint %s: %w", info.Name, ep.Name, err)
		}
	}
	return runFunc(func(runCtx context.Context) error {
		defer func() { cancel(); _ = srv.Stop() }()
		if r == nil {
			<-runCtx.Done()
			return runCtx.Err()
		}
		return r.Run(runCtx)
	}), nil
}

// handler adapts ep to micro: requests are answered one at a time per
// replica (the stats then measure the work), each within ep.Timeout and
// cancelled when the service stops.
func handler(base context.Context, service string, ep Endpoint, log *slog.Logger) micro.Handler {
	timeout := ep.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return micro.HandlerFunc(func(req micro.Request) {
		ctx, cancel := context.WithTimeout(base, timeout)
		defer cancel()
		v, err := ep.Handle(ctx, req.Data())
		if err == nil {
			if rerr := req.RespondJSON(v); rerr != nil {
				log.Warn("service: reply failed", "service", service, "endpoint", ep.Name, "error", rerr.Error())
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Status: 500, Message: err.Error()}
		}
		var opts []micro.RespondOpt
		if e.RetryAfter > 0 {
			opts = append(opts, micro.WithHeaders(micro.Headers{headerRetryAfter: {strconv.Itoa(int(e.RetryAfter.Seconds()))}}))
		}
		if rerr := req.Error(strconv.Itoa(e.Status), e.Message, nil, opts...); rerr != nil {
			log.Warn("service: error reply failed", "service", service, "endpoint", ep.Name, "error", rerr.Error())
		}
	})
}

// DecodeJSON decodes a request's JSON into v, rejecting unknown fields;
// what does not decode is an *Error with status 400.
func DecodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytesReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("bad request body: " + err.Error())
	}
	return nil
}

type runFunc func(ctx context.Context) error

func (f runFunc) Run(ctx context.Context) error { return f(ctx) }
