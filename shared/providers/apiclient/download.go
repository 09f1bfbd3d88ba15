package apiclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Download GETs path and returns the 2xx answer's body as a stream, with
// its length (-1 when the provider does not say). The caller must close
// it. Retries (5xx, 429 with Retry-After, connection errors) happen before
// the first body byte is handed over; a connection cut while the caller
// reads is the caller's error to retry. Unlike Do, no whole-request
// timeout applies — a document of tens of MB may take longer than an API
// call — only the configured timeout for the answer's headers.
func (c *Client) Download(ctx context.Context, path string, query url.Values, accept string) (io.ReadCloser, int64, error) {
	return c.stream(ctx, http.MethodGet, path, query, accept)
}

func (c *Client) stream(ctx context.Context, method, path string, query url.Values, accept string) (io.ReadCloser, int64, error) {
	u := *c.base
	u.Path = c.base.Path + path
	if query != nil {
		u.RawQuery = query.Encode()
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("apiclient: %w", err)
	}
	req.Header.Set("Accept", accept)
	c.auth(req.Header)
	resp, err := c.downloadClient().Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("apiclient: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, 0, &StatusError{Code: resp.StatusCode, Body: b}
	}
	return resp.Body, resp.ContentLength, nil
}

// downloadClient is c's retrying client with the request timeout moved
// to the response headers: the same retries, backoff, rate limit and
// logger.
func (c *Client) downloadClient() *retryablehttp.Client {
	c.downloadsOnce.Do(func() {
		timeout := c.http.HTTPClient.Timeout
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		hc := cleanhttp.DefaultPooledClient()
		hc.Transport.(*http.Transport).ResponseHeaderTimeout = timeout
		d := retryablehttp.NewClient()
		d.HTTPClient = hc
		d.Logger = c.http.Logger
		d.RetryMax, d.RetryWaitMin, d.RetryWaitMax = c.http.RetryMax, c.http.RetryWaitMin, c.http.RetryWaitMax
		d.Backoff, d.CheckRetry, d.ErrorHandler = c.http.Backoff, c.http.CheckRetry, c.http.ErrorHandler
		d.RequestLogHook = c.http.RequestLogHook
		c.downloads = d
	})
	return c.downloads
}

// DoOnce is Do for a request that must not reach the provider twice (a
// delete): it retries only answers that say the request was not processed
// (429 and 503, Retry-After honoured), never a connection error or a lost
// answer, after which the request may or may not have been carried out.
func (c *Client) DoOnce(ctx context.Context, method, path string, query url.Values, body []byte) (*http.Response, error) {
	c.onceOnce.Do(func() {
		o := retryablehttp.NewClient()
		o.HTTPClient = c.http.HTTPClient
		o.Logger = c.http.Logger
		o.RetryMax, o.RetryWaitMin, o.RetryWaitMax = c.http.RetryMax, c.http.RetryWaitMin, c.http.RetryWaitMax
		o.Backoff, o.ErrorHandler, o.RequestLogHook = c.http.Backoff, c.http.ErrorHandler, c.http.RequestLogHook
		o.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return err == nil && resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable), nil
		}
		c.once = o
	})
	return c.send(ctx, c.once, method, path, query, body)
}
