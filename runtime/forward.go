package runtime

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// noForwardKey marks a context whose request must not be forwarded again.
type noForwardKey struct{}

// WithoutForwarding returns ctx marked as a request another worker already
// forwarded (Kafka Connect's forward=false query parameter): the worker
// answers it itself, so that two workers with different views of the
// cluster cannot pass a request back and forth.
func WithoutForwarding(ctx context.Context) context.Context {
	return context.WithValue(ctx, noForwardKey{}, true)
}

// forwarded reports whether ctx is a forwarded request.
func forwarded(ctx context.Context) bool {
	v, _ := ctx.Value(noForwardKey{}).(bool)
	return v
}

// forwardClient sends forwarded requests; the request context bounds each.
var forwardClient = &http.Client{Timeout: 30 * time.Second}

// forwardTaskRestart asks the worker that runs a task to restart it, as
// Kafka Connect does when a restart reaches a worker that does not own the
// task. owner is the owner's worker id (host:port) from the status topic;
// the owner is reached with this worker's own URL scheme.
func (w *Worker) forwardTaskRestart(ctx context.Context, owner, name string, task int) error {
	scheme := "http"
	if u, err := url.Parse(w.url); err == nil && u.Scheme != "" {
		scheme = u.Scheme
	}
	target := scheme + "://" + owner + "/connectors/" + url.PathEscape(name) + "/tasks/" + strconv.Itoa(task) + "/restart?forward=false"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return fmt.Errorf("forward restart of task %s-%d to %s: %w", name, task, owner, err)
	}
	resp, err := forwardClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: forward restart of task %s-%d to worker %s: %v", ErrConflict, name, task, owner, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusAccepted:
		return nil
	case http.StatusNotFound:
		return fmt.Errorf("task %s-%d: %w", name, task, ErrNotFound)
	case http.StatusConflict:
		return fmt.Errorf("%w: worker %s: %s", ErrConflict, owner, strings.TrimSpace(string(body)))
	}
	return fmt.Errorf("forward restart of task %s-%d to worker %s: %s: %s", name, task, owner, resp.Status, strings.TrimSpace(string(body)))
}
