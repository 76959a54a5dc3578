package kafkalog

import (
	"context"
	"sync"
)

// progress tracks, per partition, the offset up to which records have been
// applied, and lets callers wait for it to reach a target.
type progress struct {
	mu      sync.Mutex
	pos     []int64       // next offset to apply, per partition
	changed chan struct{} // closed and replaced whenever pos grows
	err     error         // set once the log is closed
}

func newProgress(partitions int) *progress {
	return &progress{pos: make([]int64, partitions), changed: make(chan struct{})}
}

// advance records that everything before next has been applied on partition p.
func (p *progress) advance(part int32, next int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if next <= p.pos[part] {
		return
	}
	p.pos[part] = next
	close(p.changed)
	p.changed = make(chan struct{})
}

// close wakes every waiter with err.
func (p *progress) close(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
		close(p.changed)
		p.changed = make(chan struct{})
	}
}

// wait blocks until, for every partition i with target[i] >= 0, everything
// before target[i] has been applied; it fails when ctx ends or the log
// closes.
func (p *progress) wait(ctx context.Context, target []int64) error {
	for {
		p.mu.Lock()
		done := true
		for i, t := range target {
			if t >= 0 && p.pos[i] < t {
				done = false
				break
			}
		}
		ch, err := p.changed, p.err
		p.mu.Unlock()
		if done {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
