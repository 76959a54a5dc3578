package runtime

import (
	"context"
	"sync"
)

// targetSwitch holds the target state of a running connector or task and
// lets its loop wait for a change (a paused task waits for resume).
type targetSwitch struct {
	mu      sync.Mutex
	state   TargetState
	changed chan struct{} // closed and replaced on every change
}

func newTargetSwitch(state TargetState) *targetSwitch {
	return &targetSwitch{state: state, changed: make(chan struct{})}
}

// set changes the target state and wakes the waiters; it reports whether
// the state changed.
func (t *targetSwitch) set(state TargetState) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == state {
		return false
	}
	t.state = state
	close(t.changed)
	t.changed = make(chan struct{})
	return true
}

// get returns the current target state and a channel closed at its next
// change.
func (t *targetSwitch) get() (TargetState, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state, t.changed
}

// awaitRunning blocks while the target state is PAUSED, calling onPause
// once when a pause begins and onResume once when it ends. It returns
// ctx.Err() if ctx ends first.
func (t *targetSwitch) awaitRunning(ctx context.Context, onPause, onResume func()) error {
	paused := false
	for {
		state, changed := t.get()
		if state != TargetPaused {
			if paused {
				onResume()
			}
			return nil
		}
		if !paused {
			paused = true
			onPause()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
