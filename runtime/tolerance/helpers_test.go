package tolerance

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"conflux/connectors"
)

// fakeClock is a Clock whose time moves only when Sleep or advance is
// called. It records every wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// blockingClock is a Clock whose Sleep announces itself on sleeping and
// then waits for ctx to be done, so that a test can cancel a retry wait at
// a known point.
type blockingClock struct {
	fakeClock
	sleeping chan time.Duration
}

func (c *blockingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeping <- d
	<-ctx.Done()
	return context.Cause(ctx)
}

// fakeWriter is an in-process DLQWriter. With hold set, it keeps the done
// callbacks until release; otherwise it acknowledges (or fails with
// failWith) at once.
type fakeWriter struct {
	mu       sync.Mutex
	records  []*DLQRecord
	pending  []func(error)
	hold     bool
	failWith error // given to done
	sendErr  error // returned by Send
	closed   bool
}

func (w *fakeWriter) Send(ctx context.Context, rec *DLQRecord, done func(error)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.sendErr != nil {
		return w.sendErr
	}
	w.records = append(w.records, rec)
	if w.hold {
		w.pending = append(w.pending, done)
		return nil
	}
	done(w.failWith)
	return nil
}

// release completes the held writes with err.
func (w *fakeWriter) release(err error) {
	w.mu.Lock()
	p := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, done := range p {
		done(err)
	}
}

func (w *fakeWriter) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.release(ErrClosed)
	return nil
}

func (w *fakeWriter) sent() []*DLQRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*DLQRecord(nil), w.records...)
}

// syncBuffer is a bytes.Buffer safe for a logger used from several
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// textLogger returns a logger writing text records at every level to buf.
func textLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newOp builds an Operator or fails the test; it is closed at the end.
func newOp(t *testing.T, cfg Config, opts ...Option) *Operator {
	t.Helper()
	if cfg.Connector == "" {
		cfg.Connector = "conn"
	}
	op, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { op.Close() })
	return op
}

// fakeConverter stands for a component; its Go type is what logs and
// headers name.
type fakeConverter struct{}

// consumedContext is a typical sink record.
func consumedContext() *Context {
	return &Context{
		Topic:         "orders",
		Partition:     2,
		Offset:        42,
		Timestamp:     time.UnixMilli(1714564800123),
		TimestampType: connectors.CreateTime,
		Key:           []byte("s3cret-key"),
		Value:         []byte(`{"card":"s3cret-value"}`),
		Headers:       connectors.RawHeaders{{Key: "trace", Value: []byte("s3cret-header")}, {Key: "empty", Value: nil}},
	}
}
