package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Messages of the 409 answers a worker gives when it cannot route a
// request, in Kafka Connect's words.
const (
	// MsgForwardExhausted: the request was forwarded as far as it may go
	// and still did not reach the worker that can answer it.
	MsgForwardExhausted = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
	// MsgNoLeader: the worker does not know the leader yet.
	MsgNoLeader = "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."
	// MsgStaleConfig: the worker that should own the work does not (yet).
	MsgStaleConfig = "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"
)

// Forwarding says how often a request may still be passed from worker to
// worker, from Kafka Connect's forward query parameter: a user's request
// (no parameter) may take two hops, one from the worker it reached to the
// leader and one from the leader to the owner of the work; forward=true
// marks the first hop, forward=false the last.
type Forwarding int

// Forwarding modes.
const (
	// ForwardTwice is a user's request, without a forward parameter.
	ForwardTwice Forwarding = iota
	// ForwardOnce is a request forwarded once (forward=true).
	ForwardOnce
	// ForwardNever is a request that must be answered here (forward=false).
	ForwardNever
)

// ForwardingOf maps the forward query parameter ("" when absent) to its
// Forwarding, as Kafka Connect reads it: "true" in any case, or anything
// else for false.
func ForwardingOf(param string) Forwarding {
	switch {
	case param == "":
		return ForwardTwice
	case strings.EqualFold(param, "true"):
		return ForwardOnce
	}
	return ForwardNever
}

type forwardingKey struct{}

// WithForwarding returns ctx carrying how far the request it serves may
// still be forwarded; a ctx without it is a user's request.
func WithForwarding(ctx context.Context, f Forwarding) context.Context {
	return context.WithValue(ctx, forwardingKey{}, f)
}

func forwardingFrom(ctx context.Context) Forwarding {
	f, _ := ctx.Value(forwardingKey{}).(Forwarding)
	return f
}

// forwardClient sends forwarded requests; the request context bounds each.
var forwardClient = &http.Client{Timeout: 30 * time.Second}

// remoteError is the error answer of the worker a request was forwarded
// to. It matches the Herder sentinel of its status, so that the REST API
// answers the user with the status and message the other worker gave.
type remoteError struct {
	status int
	msg    string
}

func (e *remoteError) Error() string { return e.msg }

// Is maps the HTTP status back to the Herder's sentinels.
func (e *remoteError) Is(target error) bool {
	switch e.status {
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusConflict:
		return target == ErrConflict
	case http.StatusBadRequest:
		return target == ErrBadRequest
	case http.StatusForbidden:
		return target == ErrForbidden
	case http.StatusServiceUnavailable:
		return target == ErrNotReady
	}
	return false
}

// forwardRequest is one REST call a worker makes on another's behalf.
type forwardRequest struct {
	method string
	path   string     // escaped path below the base URL, e.g. /connectors/a%2Fb/config
	query  url.Values // nil: none but forward
	body   any        // nil: no body
	out    any        // decoded from a 2xx answer with a body, if not nil
	signed bool       // an internal request, signed under the sessioned protocol
}

// forward sends req to the worker at base, one hop further than the
// request ctx serves, and returns the answer's status. It refuses with
// MsgForwardExhausted when ctx's request may not be forwarded again. A
// worker that cannot be reached (it left, or a rebalance is moving its
// work) gives ErrConflict, which the user may retry.
func (w *Worker) forward(ctx context.Context, base string, req forwardRequest) (int, error) {
	q := url.Values{}
	for k, v := range req.query {
		q[k] = v
	}
	switch forwardingFrom(ctx) {
	case ForwardTwice:
		q.Set("forward", "true")
	case ForwardOnce:
		q.Set("forward", "false")
	default:
		return 0, fmt.Errorf("%w: %s", ErrConflict, MsgForwardExhausted)
	}
	var (
		body    io.Reader
		headers map[string]string
	)
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return 0, fmt.Errorf("forward %s %s: %w", req.method, req.path, err)
		}
		body = bytes.NewReader(b)
		if req.signed {
			if headers, err = w.signatureHeaders(b); err != nil {
				return 0, err
			}
		}
	}
	target := strings.TrimRight(base, "/") + req.path + "?" + q.Encode()
	hreq, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return 0, fmt.Errorf("forward %s %s: %w", req.method, req.path, err)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("Accept", "application/json")
	for k, v := range headers {
		hreq.Header.Set(k, v)
	}
	resp, err := forwardClient.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("%w: %s (worker %s: %v)", ErrConflict, MsgForwardExhausted, base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, fmt.Errorf("forward %s %s to %s: %w", req.method, req.path, base, err)
	}
	if resp.StatusCode/100 == 2 {
		if req.out != nil && len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, req.out); err != nil {
				return 0, fmt.Errorf("forward %s %s to %s: decode answer: %w", req.method, req.path, base, err)
			}
		}
		return resp.StatusCode, nil
	}
	var eb struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &eb) != nil || eb.Message == "" {
		eb.Message = strings.TrimSpace(string(raw))
	}
	if resp.StatusCode >= 500 {
		return resp.StatusCode, fmt.Errorf("worker %s answered %s: %s", base, resp.Status, eb.Message)
	}
	return resp.StatusCode, &remoteError{status: resp.StatusCode, msg: eb.Message}
}

// workerURL returns the REST base URL of the worker with id (its
// advertised host:port), with this worker's own URL scheme.
func (w *Worker) workerURL(id string) string {
	scheme := "http"
	if u, err := url.Parse(w.url); err == nil && u.Scheme != "" {
		scheme = u.Scheme
	}
	return scheme + "://" + id
}

// connectorPath returns /connectors/<name><suffix>, the name escaped.
func connectorPath(name, suffix string) string {
	return "/connectors/" + url.PathEscape(name) + suffix
}

// leaderTarget waits for the worker's first assignment and returns "" when
// this worker leads the cluster, so that it should act itself, or the
// leader's REST URL to forward to. With no known leader it fails with
// MsgNoLeader (409).
func (w *Worker) leaderTarget(ctx context.Context) (string, error) {
	if err := w.awaitJoined(ctx); err != nil {
		return "", err
	}
	if w.leader.Load() {
		return "", nil
	}
	if p := w.leaderURL.Load(); p != nil && *p != "" {
		return *p, nil
	}
	return "", fmt.Errorf("%w: %s", ErrConflict, MsgNoLeader)
}

// awaitJoined waits until the worker is ready and has had its first
// assignment; without one before ctx ends it fails with MsgNoLeader (409).
func (w *Worker) awaitJoined(ctx context.Context) error {
	if err := w.awaitReady(ctx); err != nil {
		return err
	}
	select {
	case <-w.joined:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %s", ErrConflict, MsgNoLeader)
	}
}
