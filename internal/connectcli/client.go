package connectcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults of a Client's options.
const (
	// DefaultTimeout bounds each HTTP exchange. It is longer than the 90 s
	// a Kafka Connect worker gives its own herder calls, so a slow worker's
	// "Request timed out" answer arrives rather than a client-side timeout.
	DefaultTimeout = 100 * time.Second
	// DefaultAttempts is how many times a request answered 409 because of a
	// rebalance is sent before the 409 is returned.
	DefaultAttempts = 5
	// DefaultBackoff is the wait before the first retry; it doubles for
	// each further one (250 ms, 500 ms, 1 s, 2 s).
	DefaultBackoff = 250 * time.Millisecond
)

// maxResponseBytes bounds a response body; the API's largest answers
// (validation results, expanded lists of many connectors) are far smaller.
const maxResponseBytes = 64 << 20

// Client calls the Kafka Connect REST API of one worker: Conflux's or
// Kafka Connect's own, which answer alike. Requests answered 409 while the
// cluster rebalances are retried with a doubling backoff, as Kafka Connect
// asks of its clients; error responses become *APIError. A Client is safe
// for concurrent use.
type Client struct {
	base     string // scheme://host:port[/prefix], no trailing slash
	hc       *http.Client
	attempts int
	backoff  time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc (for TLS
// settings or a test server's client); nil keeps the default. Its Timeout
// is kept.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithTimeout bounds each HTTP exchange (DefaultTimeout by default; 0 means
// no bound). It applies to the HTTP client given by WithHTTPClient too, so
// give it after that option.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		hc := *c.hc
		hc.Timeout = d
		c.hc = &hc
	}
}

// WithRetry sets how many times a request is sent in all while it is
// answered 409 because of a rebalance (at least 1), and the wait before the
// first retry, which doubles for each further one.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(c *Client) { c.attempts, c.backoff = max(attempts, 1), backoff }
}

// NewClient returns a client of the REST API at baseURL (see ParseBaseURL
// for the forms accepted). It does no I/O.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := ParseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:     u.String(),
		hc:       &http.Client{Timeout: DefaultTimeout},
		attempts: DefaultAttempts,
		backoff:  DefaultBackoff,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL returns the URL of the API, without trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Response is a response of the API, its body read whole.
type Response struct {
	// StatusCode is the HTTP status (201 when PUT .../config created the
	// connector, 200 when it replaced one; 204 or 202 for restarts …).
	StatusCode int
	// Header holds the response headers (Location after a creation).
	Header http.Header
	// Body is the body as received; empty for 202 and 204 answers.
	Body []byte
}

// decode decodes the body into v, numbers as json.Number so that offsets
// keep every digit.
func (r *Response) decode(v any) error {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode response (HTTP %d): %w", r.StatusCode, err)
	}
	return nil
}

// Do sends one request to the API and returns its response: path is
// relative to the base URL, each segment escaped with url.PathEscape;
// query may be nil; body is sent as JSON when not nil. A 409 answered
// during a rebalance is retried (see WithRetry). An error status gives both the response and
// an *APIError; a failure to reach the worker gives an error wrapping
// ErrUnreachable.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte) (*Response, error) {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	wait := c.backoff
	for attempt := 1; ; attempt++ {
		resp, err := c.send(ctx, method, target, body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 400 {
			return resp, nil
		}
		apiErr := newAPIError(method, path, resp)
		if attempt >= c.attempts || !rebalancing(apiErr) {
			return resp, apiErr
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, apiErr
		case <-t.C:
		}
		wait *= 2
	}
}

// send makes one HTTP exchange.
func (c *Client) send(ctx context.Context, method, target string, body []byte) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("%w: request %s %s: %v", ErrInvalidArgument, method, target, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "conflux-connector-cli")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hr, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, method, target, err)
	}
	defer hr.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hr.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read response: %w", method, target, err)
	}
	return &Response{StatusCode: hr.StatusCode, Header: hr.Header, Body: data}, nil
}

// transportError explains an error of the HTTP exchange itself.
func (c *Client) transportError(ctx context.Context, method, target string, err error) error {
	var ue *url.Error
	cause := err
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &unreachableError{cause: err, msg: fmt.Sprintf("%v at %s: connection refused (is `conflux standalone` or a Kafka Connect worker running? "+
			"--rest or $%s select another worker)", ErrUnreachable, c.base, EnvURL)}
	case ctx.Err() != nil:
		return fmt.Errorf("%s %s: %w", method, target, ctx.Err())
	case ue != nil && ue.Timeout():
		return &unreachableError{cause: err, msg: fmt.Sprintf("%v at %s: no response within %s (--timeout)", ErrUnreachable, c.base, c.hc.Timeout)}
	}
	return &unreachableError{cause: err, msg: fmt.Sprintf("%v at %s: %v", ErrUnreachable, c.base, cause)}
}

// unreachableError is ErrUnreachable with its network cause, explained for
// the user.
type unreachableError struct {
	msg   string
	cause error
}

func (e *unreachableError) Error() string   { return e.msg }
func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.cause} }

// pathOf joins path segments into an escaped path, each segment escaped on
// its own, so that a connector name holding '/' or '?' stays one segment.
func pathOf(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
