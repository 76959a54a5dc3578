package status

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"conflux/internal/kafkalog"
)

// gatedLog is a backingLog whose writes block until the test lets them
// through, so the writer's queue can be filled while a batch is in flight.
type gatedLog struct {
	entered chan []string // keys of each Write, as it starts
	release chan error    // one value lets one Write return it
}

func newGatedLog() *gatedLog {
	return &gatedLog{entered: make(chan []string, 100), release: make(chan error)}
}

func (l *gatedLog) Write(ctx context.Context, msgs ...kafkalog.Message) error {
	keys := make([]string, len(msgs))
	for i, m := range msgs {
		keys[i] = string(m.Key)
	}
	l.entered <- keys
	select {
	case err := <-l.release:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *gatedLog) ReadToEnd(context.Context) error { return nil }
func (l *gatedLog) Close() error                    { return nil }

// outcomes collects write callbacks by key, in call order.
type outcomes struct {
	mu  sync.Mutex
	got map[string][]error
	wg  sync.WaitGroup
}

func (o *outcomes) queue(t *testing.T, w *writer, key string, safe bool) *pendingWrite {
	t.Helper()
	o.wg.Add(1)
	p := &pendingWrite{key: []byte(key), value: []byte("v"), safe: safe, done: func(err error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.got == nil {
			o.got = map[string][]error{}
		}
		o.got[key] = append(o.got[key], err)
		o.wg.Done()
	}}
	if err := w.enqueue(p); err != nil {
		t.Fatalf("enqueue %s: %v", key, err)
	}
	return p
}

func testContext(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestWriterBatchesKeysInOrder(t *testing.T) {
	l := newGatedLog()
	w := newWriter(l, func(*pendingWrite) bool { return true })
	defer w.close()
	var o outcomes
	o.queue(t, w, "x", false)
	if got := <-l.entered; !reflect.DeepEqual(got, []string{"x"}) {
		t.Fatalf("first batch %v", got)
	}
	// While x is in flight: a key repeated waits for the next round,
	// and so does everything of that key after it.
	for _, k := range []string{"a", "b", "a", "x", "a", "c"} {
		o.queue(t, w, k, false)
	}
	want := [][]string{{"a", "b", "x", "c"}, {"a"}, {"a"}}
	l.release <- nil
	for _, batch := range want {
		if got := <-l.entered; !reflect.DeepEqual(got, batch) {
			t.Fatalf("batch %v, want %v", got, batch)
		}
		l.release <- nil
	}
	o.wg.Wait()
	if n := len(o.got["a"]); n != 3 {
		t.Errorf("%d callbacks for a, want 3", n)
	}
	if err := w.flush(testContext(t)); err != nil {
		t.Fatal(err)
	}
}

func TestWriterFailureAndSkip(t *testing.T) {
	l := newGatedLog()
	allow := map[string]bool{"ok": true}
	w := newWriter(l, func(p *pendingWrite) bool { return allow[string(p.key)] })
	defer w.close()
	var o outcomes
	o.queue(t, w, "ok", true)
	o.queue(t, w, "stale", true)
	if got := <-l.entered; !reflect.DeepEqual(got, []string{"ok"}) {
		t.Fatalf("batch %v: a safe write that may not be made was sent", got)
	}
	boom := errors.New("boom")
	l.release <- boom
	o.wg.Wait()
	if errs := o.got["ok"]; len(errs) != 1 || !errors.Is(errs[0], boom) {
		t.Errorf("failed write reported %v", errs)
	}
	if errs := o.got["stale"]; len(errs) != 1 || !errors.Is(errs[0], ErrSkipped) {
		t.Errorf("skipped write reported %v", errs)
	}
}

// TestWriterAbandonAndFlush: a synchronous caller that gives up drops its
// write if it was not sent yet; Flush waits for what is in flight.
func TestWriterAbandonAndFlush(t *testing.T) {
	l := newGatedLog()
	s := &Store{log: l, state: newStatusState()}
	s.w = newWriter(l, s.canWrite)
	defer s.w.close()
	var o outcomes
	o.queue(t, s.w, "first", false)
	<-l.entered

	short, cancelShort := context.WithCancel(testContext(t))
	cancelShort()
	if err := s.w.flush(short); !errors.Is(err, context.Canceled) {
		t.Errorf("flush with a batch in flight and a cancelled context: %v", err)
	}
	// The caller's context ends right after its write is queued.
	if err := s.wait(&endsAfterFirstCheck{Context: t.Context()}, &pendingWrite{key: []byte("abandoned"), value: []byte("v")}); !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned wait: %v", err)
	}
	o.queue(t, s.w, "after", false)
	l.release <- nil
	if got := <-l.entered; !reflect.DeepEqual(got, []string{"after"}) {
		t.Errorf("batch after the abandoned write: %v", got)
	}
	l.release <- nil
	if err := s.w.flush(testContext(t)); err != nil {
		t.Fatal(err)
	}
	o.wg.Wait()
}

// TestWriterHardClose: a write stuck past the drain time is cancelled and
// reported as ErrClosed, and so is what was still queued behind it.
func TestWriterHardClose(t *testing.T) {
	l := newGatedLog()
	w := newWriter(l, func(*pendingWrite) bool { return true })
	w.drain = time.Millisecond
	var o outcomes
	o.queue(t, w, "stuck", false)
	<-l.entered
	o.queue(t, w, "stuck", false)
	w.close()
	o.wg.Wait()
	for _, err := range o.got["stuck"] {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("write at hard close: %v, want ErrClosed", err)
		}
	}
	if err := w.enqueue(&pendingWrite{key: []byte("late")}); !errors.Is(err, ErrClosed) {
		t.Errorf("enqueue after close: %v", err)
	}
	w.close() // idempotent
}

// endsAfterFirstCheck is a context that is still live when first asked and
// done from then on: it ends exactly between a check and a wait.
type endsAfterFirstCheck struct {
	context.Context
	checked bool
}

func (c *endsAfterFirstCheck) Err() error {
	if !c.checked {
		c.checked = true
		return nil
	}
	return context.Canceled
}

func (c *endsAfterFirstCheck) Done() <-chan struct{} {
	if !c.checked {
		return nil
	}
	done := make(chan struct{})
	close(done)
	return done
}
