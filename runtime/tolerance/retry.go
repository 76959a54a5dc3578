package tolerance

import (
	"context"
	"errors"
	"time"

	"conflux/connectors"
)

// Clock is the operator's view of time, replaceable in tests.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done, in which case it returns
	// context.Cause(ctx) at once.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the system clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// isRetriable reports whether an operation that failed with err may be
// tried again: Conflux's counterpart of Kafka Connect's RetriableException
// is any error matching connectors.ErrRetriable. (Kafka's operator does not
// retry the Kafka clients' own retriable exceptions either: the clients
// retry those themselves.)
func isRetriable(err error) bool { return errors.Is(err, connectors.ErrRetriable) }

// retryDelay returns how long to wait before attempt number attempt+1 after
// attempt number attempt failed with err, or ok=false when no retry is
// allowed any more. start is when the first attempt began.
//
// The wait is the one the error asks for (connectors.RetriableAfter), else
// Kafka's: 300 ms doubled after each attempt while it stays within
// RetryDelayMax, and random in [0, RetryDelayMax) once it would not. Either
// way it never reaches past start+RetryTimeout.
func (o *Operator) retryDelay(attempt int, start time.Time, err error) (time.Duration, bool) {
	timeout := o.cfg.RetryTimeout
	if timeout == 0 {
		return 0, false
	}
	var remaining time.Duration
	if timeout > 0 {
		remaining = start.Add(timeout).Sub(o.clock.Now())
		if remaining <= 0 {
			return 0, false
		}
	}
	var d time.Duration
	var re *connectors.RetriableError
	if errors.As(err, &re) && re.Backoff > 0 {
		d = re.Backoff
	} else {
		d = o.exponentialDelay(attempt)
	}
	if timeout > 0 && d > remaining {
		d = remaining
	}
	return d, true
}

// exponentialDelay is Kafka's backoff after attempt number attempt (from 1).
func (o *Operator) exponentialDelay(attempt int) time.Duration {
	ceiling := o.cfg.RetryDelayMax
	n := attempt - 1
	// 300ms << 35 already exceeds any Duration that fits ms settings.
	if n < 35 {
		if d := MinRetryDelay << n; d <= ceiling {
			return d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(o.jitter(int64(ceiling)))
}
