package countersignctl

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// maxAnswer bounds what is read of one answer: a ledger of the admin API's
// largest size fits many times over.
const maxAnswer = 64 << 20

// session is one run's connection to the admin API and its output.
type session struct {
	base   *url.URL
	token  string
	json   bool
	http   *http.Client
	stdout io.Writer
	stderr io.Writer
}

func newSession(g globals, stdio IO) (*session, error) {
	if g.url == "" {
		return nil, fmt.Errorf("%w: no admin URL: pass --url or set %s", ErrUsage, EnvURL)
	}
	if g.token == "" {
		return nil, fmt.Errorf("%w: no admin token: pass --token or set %s", ErrUsage, EnvToken)
	}
	raw := g.url
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: --url %q: want http(s)://host:port", ErrUsage, g.url)
	}
	client := stdio.HTTP
	if client == nil {
		tlsConf, err := tlsConfig(g)
		if err != nil {
			return nil, err
		}
		client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConf, ForceAttemptHTTP2: true,
		}}
	}
	return &session{base: u, token: g.token, json: g.json, http: client, stdout: stdio.Stdout, stderr: stdio.Stderr}, nil
}

// tlsConfig is the client side of the admin listener's TLS: the system's
// roots plus --cacert, and --cert/--key for mTLS. A bad file is a usage
// error naming it.
func tlsConfig(g globals) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if g.cacert != "" {
		pem, err := os.ReadFile(g.cacert)
		if err != nil {
			return nil, fmt.Errorf("%w: --cacert: %w", ErrUsage, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: --cacert %s: no PEM certificate in it", ErrUsage, g.cacert)
		}
		conf.RootCAs = pool
	}
	switch {
	case g.cert != "" && g.key != "":
		pair, err := tls.LoadX509KeyPair(g.cert, g.key)
		if err != nil {
			return nil, fmt.Errorf("%w: --cert/--key: %w", ErrUsage, err)
		}
		conf.Certificates = []tls.Certificate{pair}
	case g.cert != "" || g.key != "":
		return nil, fmt.Errorf("%w: --cert and --key go together", ErrUsage)
	}
	return conf, nil
}

// APIError is a non-2xx answer of the admin API.
type APIError struct {
	Method, Path string
	Status       int
	// Message is the answer's {"error": …}, or its text.
	Message string
}

func (e *APIError) Error() string {
	what := e.Method + " " + e.Path
	switch e.Status {
	case http.StatusUnauthorized:
		return fmt.Sprintf("%s: 401: the token was refused (--token, $%s)", what, EnvToken)
	case http.StatusForbidden:
		return fmt.Sprintf("%s: 403 forbidden: this token's role or tenants do not allow it (%s)", what, e.Message)
	case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return fmt.Sprintf("%s: %d %s (the service behind it is not answering now: retry, or check that it runs)", what, e.Status, e.Message)
	}
	return fmt.Sprintf("%s: %d %s", what, e.Status, e.Message)
}

// notServed reports whether the answer says the route does not exist at
// all (the mux's own 404 "Not Found", or 405), as opposed to a served
// route answering 404 for an unknown envelope.
func (e *APIError) notServed() bool {
	return e.Status == http.StatusMethodNotAllowed ||
		(e.Status == http.StatusNotFound && e.Message == http.StatusText(http.StatusNotFound))
}

// envelopePath is the admin path of one envelope (plus suffix), each
// segment escaped: provider ids may hold "/" or spaces.
func envelopePath(tenant, id, suffix string) string {
	return "/v1/tenants/" + url.PathEscape(tenant) + "/envelopes/" + url.PathEscape(id) + suffix
}

// call sends one request and returns the answer's body on 2xx. body, if
// not nil, is sent as JSON. A route the server does not serve comes back
// wrapping ErrNotAvailable (and *APIError); any other non-2xx as *APIError.
func (c *session) call(ctx context.Context, method, path string, query url.Values, body any) ([]byte, error) {
	u := c.base.String() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return data, nil
	}
	apiErr := &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: errorMessage(data, resp.Status)}
	if apiErr.notServed() {
		return nil, fmt.Errorf("%w: %s %s is not served (that part of countersign is not deployed there, or is older than this CLI)",
			ErrNotAvailable, method, path)
	}
	return nil, apiErr
}

// get calls and decodes the answer into out; it returns the raw answer
// too, for --json.
func (c *session) get(ctx context.Context, path string, query url.Values, out any) ([]byte, error) {
	data, err := c.call(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return nil, err
	}
	return data, decodeInto(path, data, out)
}

// post is get with a POST and a JSON body.
func (c *session) post(ctx context.Context, path string, body, out any) ([]byte, error) {
	data, err := c.call(ctx, http.MethodPost, path, nil, body)
	if err != nil {
		return nil, err
	}
	return data, decodeInto(path, data, out)
}

func decodeInto(path string, data []byte, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: the answer is not the expected JSON: %w", path, err)
	}
	return nil
}

// printJSON writes the API's answer as it came (one document, ending in a
// newline).
func (c *session) printJSON(data []byte) error {
	data = bytes.TrimRight(data, "\n")
	_, err := fmt.Fprintf(c.stdout, "%s\n", data)
	return err
}

// errorMessage is the {"error": …} of an answer, else its text (short).
func errorMessage(data []byte, status string) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		return e.Error
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return status
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
