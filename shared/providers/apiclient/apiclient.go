// Package apiclient is the HTTP client every call to a provider's API goes
// through: retries with backoff (go-retryablehttp), 429 and Retry-After
// honoured, a per-provider request rate limit, a timeout per request.
package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"

	"github.com/countersign/countersign/shared/config"
	"github.com/countersign/countersign/shared/providers"
)

// ErrStatus is returned (wrapped in *StatusError) for a non-2xx answer that
// retries did not cure.
var ErrStatus = errors.New("apiclient: unexpected HTTP status")

// StatusError is a final non-2xx answer.
type StatusError struct {
	Code int
	// Body is the start of the answer (providers put error codes there).
	Body []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("apiclient: HTTP %d: %s", e.Code, strings.TrimSpace(string(e.Body)))
}

// Unwrap makes errors.Is(err, ErrStatus) hold.
func (e *StatusError) Unwrap() error { return ErrStatus }

// Client calls one provider API.
type Client struct {
	base *url.URL
	http *retryablehttp.Client
	auth func(h http.Header)

	// downloads is http without the whole-request timeout (download.go).
	downloadsOnce sync.Once
	downloads     *retryablehttp.Client
	// once is http retrying only "not processed" answers (DoOnce).
	onceOnce sync.Once
	once     *retryablehttp.Client
}

// Options tune a Client beyond config.API (tests shorten the waits).
type Options struct {
	RetryMax     int           // default 4
	RetryWaitMin time.Duration // default 500ms
	RetryWaitMax time.Duration // default 30s
	Logger       *slog.Logger
}

// New returns a client for api; auth sets the provider's credentials on
// each request (bearer token, apiToken header, basic auth...).
func New(api config.API, auth func(h http.Header), o Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(api.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("apiclient: base_url %q is not an absolute URL", api.BaseURL)
	}
	rc := retryablehttp.NewClient()
	rc.RetryMax = 4
	if o.RetryMax > 0 {
		rc.RetryMax = o.RetryMax
	}
	rc.RetryWaitMin, rc.RetryWaitMax = 500*time.Millisecond, 30*time.Second
	if o.RetryWaitMin > 0 {
		rc.RetryWaitMin = o.RetryWaitMin
	}
	if o.RetryWaitMax > 0 {
		rc.RetryWaitMax = o.RetryWaitMax
	}
	// DefaultBackoff honours Retry-After on 429 and 503; otherwise it is
	// exponential between the two waits.
	rc.Backoff = retryablehttp.DefaultBackoff
	rc.Logger = nil
	if o.Logger != nil {
		rc.Logger = slogAdapter{o.Logger}
	}
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	timeout := api.Timeout.D()
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	rc.HTTPClient.Timeout = timeout
	r, burst := api.Rate, api.Burst
	if r <= 0 {
		r = 10
	}
	if burst <= 0 {
		burst = int(r)
		if burst < 1 {
			burst = 1
		}
	}
	if auth == nil {
		auth = func(http.Header) {}
	}
	lim := rate.NewLimiter(rate.Limit(r), burst)
	// Every attempt, retries included, takes a token: the rate limit is
	// what the provider sees.
	rc.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, _ int) { _ = lim.Wait(req.Context()) }
	return &Client{base: base, http: rc, auth: auth}, nil
}

// GetJSON GETs path (appended to the base URL; query may be nil) and
// decodes a 2xx JSON answer into out.
func (c *Client) GetJSON(ctx context.Context, path string, query url.Values, out any) error {
	resp, err := c.Do(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out); err != nil {
		return fmt.Errorf("apiclient: decode %s: %w", path, err)
	}
	return nil
}

// Do sends a request after waiting for the rate limiter, with retries. A
// non-2xx final answer is a *StatusError (the body is closed); a 2xx
// answer's body is the caller's to close.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte) (*http.Response, error) {
	return c.send(ctx, c.http, method, path, query, body)
}

// send is Do through hc.
func (c *Client) send(ctx context.Context, hc *retryablehttp.Client, method, path string, query url.Values, body []byte) (*http.Response, error) {
	u := *c.base
	u.Path = c.base.Path + path
	if query != nil {
		u.RawQuery = query.Encode()
	}
	var rb any
	if body != nil {
		rb = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), rb)
	if err != nil {
		return nil, fmt.Errorf("apiclient: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.auth(req.Header)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("apiclient: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, &StatusError{Code: resp.StatusCode, Body: b}
	}
	return resp, nil
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(format string, args ...any) { a.l.Debug(fmt.Sprintf(format, args...)) }

// ForProvider returns the client of one provider's api: section, sending
// header: value (its credential) on every request. Errors name the
// provider kind; without an api: section they wrap providers.ErrNoAPI.
func ForProvider(kind string, api *config.API, header, value string, o Options) (*Client, error) {
	if api == nil {
		return nil, fmt.Errorf("%s: %w", kind, providers.ErrNoAPI)
	}
	c, err := New(*api, func(h http.Header) { h.Set(header, value) }, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return c, nil
}

// Token returns the api: section's token, or "" without one (ForProvider
// then reports the missing section).
func Token(api *config.API) string {
	if api == nil {
		return ""
	}
	return api.Token.Value()
}
