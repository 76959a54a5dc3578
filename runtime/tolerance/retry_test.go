package tolerance

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"conflux/connectors"
)

const ms = time.Millisecond

func TestRetryBackoff(t *testing.T) {
	errFlaky := errors.New("connection reset")
	tests := []struct {
		name      string
		timeout   time.Duration
		delayMax  time.Duration
		err       error         // what each failing attempt returns
		succeedOn int           // attempt that succeeds; 0 = never
		attemptIn time.Duration // time each attempt takes
		wantWaits []time.Duration
		wantOK    bool
	}{
		{name: "no retries by default", timeout: 0, delayMax: time.Minute, err: connectors.Retriable(errFlaky),
			wantWaits: nil},
		{name: "doubling from 300ms, last wait cut at the timeout", timeout: 10 * time.Second, delayMax: time.Minute,
			err:       connectors.Retriable(errFlaky),
			wantWaits: []time.Duration{300 * ms, 600 * ms, 1200 * ms, 2400 * ms, 4800 * ms, 700 * ms}},
		{name: "random below the cap once doubling passes it", timeout: 3 * time.Second, delayMax: time.Second,
			err: connectors.Retriable(errFlaky),
			// jitter(n) = n/2: 500ms once 1200ms > 1s.
			wantWaits: []time.Duration{300 * ms, 600 * ms, 500 * ms, 500 * ms, 500 * ms, 500 * ms, 100 * ms}},
		{name: "succeeds after retries", timeout: time.Minute, delayMax: time.Minute, err: connectors.Retriable(errFlaky),
			succeedOn: 3, wantWaits: []time.Duration{300 * ms, 600 * ms}, wantOK: true},
		{name: "backoff asked for by the error", timeout: 5 * time.Second, delayMax: time.Minute,
			err:       connectors.RetriableAfter(errFlaky, 2*time.Second),
			wantWaits: []time.Duration{2 * time.Second, 2 * time.Second, time.Second}},
		{name: "wrapped retriable error", timeout: time.Second, delayMax: time.Minute,
			err:       errors.Join(errors.New("put"), connectors.Retriable(errFlaky)),
			wantWaits: []time.Duration{300 * ms, 600 * ms, 100 * ms}},
		{name: "time spent in attempts counts", timeout: 5 * time.Second, delayMax: time.Minute, attemptIn: 4 * time.Second,
			err: connectors.Retriable(errFlaky), wantWaits: []time.Duration{300 * ms}},
		{name: "forever", timeout: RetryForever, delayMax: 10 * time.Second, err: connectors.Retriable(errFlaky), succeedOn: 9,
			wantWaits: []time.Duration{300 * ms, 600 * ms, 1200 * ms, 2400 * ms, 4800 * ms, 9600 * ms, 5 * time.Second, 5 * time.Second},
			wantOK:    true},
		{name: "no wait with a zero cap", timeout: time.Second, delayMax: 0, err: connectors.Retriable(errFlaky), succeedOn: 3,
			wantWaits: []time.Duration{0, 0}, wantOK: true},
		{name: "non-retriable error is not retried", timeout: time.Minute, delayMax: time.Minute, err: errFlaky},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			op := newOp(t, Config{RetryTimeout: tt.timeout, RetryDelayMax: tt.delayMax, Tolerance: ToleranceAll},
				WithClock(clock), WithJitter(func(n int64) int64 { return n / 2 }))
			attempts := 0
			skip, err := op.Execute(t.Context(), StageValueConverter, &fakeConverter{}, consumedContext(), func() error {
				attempts++
				clock.advance(tt.attemptIn)
				if attempts == tt.succeedOn {
					return nil
				}
				return tt.err
			})
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if skip == tt.wantOK {
				t.Errorf("skip = %v, want %v", skip, !tt.wantOK)
			}
			if got := clock.waits(); !slices.Equal(got, tt.wantWaits) {
				t.Errorf("waits %v, want %v", got, tt.wantWaits)
			}
			if attempts != len(tt.wantWaits)+1 {
				t.Errorf("%d attempts, want %d", attempts, len(tt.wantWaits)+1)
			}
			st := op.Stats()
			wantFailures := int64(attempts)
			if tt.wantOK {
				wantFailures--
			}
			if st.Retries != int64(len(tt.wantWaits)) || st.RecordFailures != wantFailures {
				t.Errorf("stats %+v, want %d retries, %d failures", st, len(tt.wantWaits), wantFailures)
			}
		})
	}
}

func TestRetryHonoursCancellation(t *testing.T) {
	clock := &blockingClock{fakeClock: *newFakeClock(), sleeping: make(chan time.Duration)}
	var logs syncBuffer
	w := &fakeWriter{}
	op := newOp(t, Config{RetryTimeout: RetryForever, RetryDelayMax: time.Minute, Tolerance: ToleranceAll, LogEnable: true,
		DLQTopic: "dlq", DLQReplicationFactor: 1}, WithClock(clock), WithLogger(textLogger(&logs)), WithDeadLetterQueue(w))
	ctx, cancel := context.WithCancel(t.Context())
	type result struct {
		skip bool
		err  error
	}
	done := make(chan result)
	go func() {
		skip, err := op.Execute(ctx, StageTaskPut, "SinkTask", consumedContext(), func() error {
			return connectors.Retriable(errors.New("database unavailable"))
		})
		done <- result{skip, err}
	}()
	if d := <-clock.sleeping; d != MinRetryDelay {
		t.Errorf("first wait %v, want %v", d, MinRetryDelay)
	}
	cancel()
	r := <-done
	if r.skip || !errors.Is(r.err, context.Canceled) || !errors.Is(r.err, connectors.ErrRetriable) {
		t.Fatalf("Execute = %v, %v; want the cancellation and the last error", r.skip, r.err)
	}
	if st := op.Stats(); st.RecordErrors != 0 || st.RecordsSkipped != 0 || st.DLQProduceRequests != 0 || st.ErrorsLogged != 0 {
		t.Errorf("an interrupted operation must not be reported: %+v", st)
	}
	if len(w.sent()) != 0 {
		t.Errorf("an interrupted operation must not reach the dead letter queue")
	}
}

// TestRetryRealClock runs the default clock in a synctest bubble, where
// time is virtual: the waits are the real timers', yet take no time.
func TestRetryRealClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newOp(t, Config{RetryTimeout: RetryForever, RetryDelayMax: time.Minute})
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		start := time.Now()
		attempts := 0
		_, err := op.Execute(ctx, StageKeyConverter, &fakeConverter{}, nil, func() error {
			attempts++
			return connectors.Retriable(errors.New("schema registry down"))
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		// Attempts at 0, 0.3 s and 0.9 s; cancelled during the 1.2 s wait.
		if elapsed := time.Since(start); elapsed != time.Second || attempts != 3 {
			t.Errorf("returned after %v and %d attempts, want 1s and 3", elapsed, attempts)
		}
	})
}

func TestRetryCancelledBeforeWait(t *testing.T) {
	op := newOp(t, Config{RetryTimeout: RetryForever, RetryDelayMax: time.Minute}, WithClock(newFakeClock()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	attempts := 0
	_, err := op.Execute(ctx, StageKeyConverter, &fakeConverter{}, nil, func() error {
		attempts++
		return connectors.Retriable(errors.New("down"))
	})
	if !errors.Is(err, context.Canceled) || attempts != 1 {
		t.Fatalf("err = %v after %d attempts, want context.Canceled after 1", err, attempts)
	}
}
