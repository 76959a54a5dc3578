package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// statusReporter records the states of the connectors and tasks a worker
// runs; the worker writes them to the status topic. Calls may come from any
// goroutine.
type statusReporter interface {
	connectorState(name string, state State, cause error)
	taskState(id TaskID, state State, cause error)
}

// runningTask is a source or sink task the worker runs.
type runningTask interface {
	// run runs the task until ctx ends or the task fails, and reports its
	// states. It returns once the task has stopped or been abandoned.
	run(ctx context.Context)
	// setTarget applies a PAUSED or STARTED target state.
	setTarget(state TargetState)
}

// taskHandle owns one running task's goroutine.
type taskHandle struct {
	id      TaskID
	task    runningTask
	cancel  context.CancelFunc
	done    chan struct{}
	timeout time.Duration
	logger  *slog.Logger
}

// startTask runs task on a goroutine of its own.
func startTask(id TaskID, task runningTask, timeout time.Duration, logger *slog.Logger) *taskHandle {
	ctx, cancel := context.WithCancel(context.Background())
	h := &taskHandle{id: id, task: task, cancel: cancel, done: make(chan struct{}), timeout: timeout, logger: logger}
	go func() {
		defer close(h.done)
		task.run(ctx)
	}()
	return h
}

// stop asks the task to stop and waits for it, up to its shutdown timeout
// plus the time its loop takes to abandon a stuck call; it reports whether
// the task stopped in time.
func (h *taskHandle) stop() bool {
	h.cancel()
	select {
	case <-h.done:
		return true
	case <-time.After(h.timeout + time.Second):
		h.logger.Error("task did not stop in time; abandoning it", "task", h.id, "timeout", h.timeout)
		return false
	}
}

// failure remembers the first error that failed a task, from whichever of
// its goroutines saw it, and cancels the task's loop.
type failure struct {
	mu     sync.Mutex
	err    error
	cancel context.CancelFunc
}

func (f *failure) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
		f.cancel()
	}
}

// get returns the error that failed the task, or nil.
func (f *failure) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// trace renders an error for the status topic's trace field: the message
// of each error in the chain, outermost first, the way a Java trace lists
// its causes.
func trace(err error) string {
	if err == nil {
		return ""
	}
	s := fmt.Sprintf("%T: %v", err, err)
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		s += fmt.Sprintf("\nCaused by: %T: %v", e, e)
	}
	return s
}

// callWithTimeout runs fn on its own goroutine and waits for it up to
// timeout; it reports whether fn returned in time. It is for plugin calls
// that may hang (a task's Stop) so that the worker never does.
func callWithTimeout(timeout time.Duration, fn func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
