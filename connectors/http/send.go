package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// answerShown is how much of a failed answer's body an error quotes.
const answerShown = 256

// deliver sends a batch and returns each record's error (nil: accepted).
// A batch the endpoint rejects outright is sent again one record at a
// time, so that only the records it rejects fail. It returns nil when the
// task is stopping: those records are neither accepted nor failed.
func (t *SinkTask) deliver(ctx context.Context, batch []*item) []error {
	errs := make([]error, len(batch))
	err := t.sendRetrying(ctx, batch)
	switch {
	case ctx.Err() != nil:
		return nil
	case err == nil:
		return errs
	case errors.Is(err, ErrRejected) && len(batch) > 1:
		for i, it := range batch {
			errs[i] = t.sendRetrying(ctx, []*item{it})
			if ctx.Err() != nil {
				return nil
			}
		}
		return errs
	}
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// sendRetrying sends one request for batch, retrying network errors and
// retriable statuses with backoff (or as Retry-After says) up to
// max.retries times.
func (t *SinkTask) sendRetrying(ctx context.Context, batch []*item) error {
	payload, contentType := body(t.s.format, batch)
	first := batch[0]
	renewed := false
	for retries := 0; ; {
		probe, err := t.gate.enter(ctx)
		if err != nil {
			return err
		}
		status, header, answer, token, err := t.do(ctx, first.method, first.url, payload, contentType)
		var limited time.Duration
		if err == nil && (status == nethttp.StatusTooManyRequests || status == nethttp.StatusServiceUnavailable) {
			if d, ok := retryAfter(header, time.Now()); ok {
				limited = max(d, time.Millisecond)
			}
		}
		t.gate.leave(probe, limited)
		if err == nil && status/100 == 2 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && status == nethttp.StatusUnauthorized && t.auth.oauth() && !renewed {
			t.auth.invalidate(token)
			renewed = true
			continue
		}
		if err == nil {
			err = fmt.Errorf("%s %s answered %d %s: %s", first.method, redact(first.url), status,
				nethttp.StatusText(status), answer)
			if !t.s.retryCodes.has(status) {
				return fmt.Errorf("%w: %w", ErrRejected, err)
			}
		}
		if t.s.maxRetries >= 0 && retries >= t.s.maxRetries {
			return fmt.Errorf("%w (%d): %w", ErrRetriesExhausted, retries, err)
		}
		retries++
		wait := backoff(t.s.backoff, t.s.backoffMax, retries)
		if limited > 0 {
			wait = 0 // the gate waits for the Retry-After
		}
		t.log.Debug("request failed; retrying", "url", redact(first.url), "records", len(batch), "retry", retries,
			"backoff", wait, "error", err)
		if wait > 0 {
			if err := waitFor(ctx, nil, wait); err != nil {
				return err
			}
		}
	}
}

// do sends one request and returns the answer's status, headers and the
// start of its body, and the OAuth2 token used. err is a network error,
// a timeout or a failure to get a token.
func (t *SinkTask) do(ctx context.Context, method, url string, payload []byte, contentType string) (
	status int, header nethttp.Header, answer, token string, err error) {
	var rd io.Reader
	if method != "DELETE" {
		rd = bytes.NewReader(payload)
	}
	req, err := nethttp.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, "", "", err
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range t.s.headers {
		req.Header.Set(h[0], h[1])
	}
	if token, err = t.auth.authorize(req); err != nil {
		return 0, nil, "", "", err
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, nil, "", token, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, answerShown))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
	return resp.StatusCode, resp.Header, quote(head), token, nil
}

// quote shows an answer's body in an error: valid UTF-8, one line.
func quote(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if len(b) == answerShown {
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// redact hides the user info of a URL in messages.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	if at := strings.IndexByte(rest, '@'); at >= 0 && at < strings.IndexAny(rest+"/", "/?#") {
		return scheme + "://[hidden]@" + rest[at+1:]
	}
	return url
}
