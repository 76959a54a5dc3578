package http

import (
	"context"
	"math/rand/v2"
	nethttp "net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxRetryAfter caps a Retry-After the sink honours, against a bogus date.
const maxRetryAfter = 10 * time.Minute

// backoff is the wait before retry number n (1 for the first): base
// doubled n-1 times, capped, with "equal jitter" (half fixed, half random)
// so that tasks that failed together do not retry together.
func backoff(base, ceiling time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	half := d / 2
	return half + rand.N(d-half+1)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. ok is
// false without one.
func retryAfter(h nethttp.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, maxRetryAfter), true
	}
	if t, err := nethttp.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}

// gate holds back a task's requests while the endpoint is rate-limiting:
// after a Retry-After, no request leaves until the time it names, and then
// only one (the probe); the others wait for the probe's answer. Another
// Retry-After closes the gate again; any other answer opens it.
type gate struct {
	mu      sync.Mutex
	until   time.Time
	limited bool
	probing bool
	changed chan struct{} // closed and replaced when the state changes
}

func newGate() *gate { return &gate{changed: make(chan struct{})} }

// enter waits until a request may leave. probe says it is the one request
// let through after a Retry-After: it must call leave.
func (g *gate) enter(ctx context.Context) (probe bool, err error) {
	for {
		g.mu.Lock()
		if !g.limited {
			g.mu.Unlock()
			return false, nil
		}
		wait := time.Until(g.until)
		if wait <= 0 && !g.probing {
			g.probing = true
			g.mu.Unlock()
			return true, nil
		}
		changed := g.changed
		g.mu.Unlock()
		if err := waitFor(ctx, changed, wait); err != nil {
			return false, err
		}
	}
}

// leave records a request's outcome: limitedFor > 0 for an answer with a
// Retry-After.
func (g *gate) leave(probe bool, limitedFor time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case limitedFor > 0:
		g.limited = true
		if until := time.Now().Add(limitedFor); until.After(g.until) {
			g.until = until
		}
	case probe:
		g.limited = false
	default:
		return
	}
	if probe {
		g.probing = false
	}
	close(g.changed)
	g.changed = make(chan struct{})
}

// waitFor waits until changed is closed, d has passed (d <= 0: no limit)
// or ctx is done.
func waitFor(ctx context.Context, changed <-chan struct{}, d time.Duration) error {
	var timeout <-chan time.Time
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-changed:
	case <-timeout:
	}
	return nil
}
