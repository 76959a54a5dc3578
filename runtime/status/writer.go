package status

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"conflux/internal/kafkalog"
)

// maxBatch bounds the records of one produce round trip, so that a burst of
// status changes does not delay the first of them behind thousands of others.
const maxBatch = 500

// drainTimeout is how long Close lets queued writes reach the topic before
// failing the rest with ErrClosed.
const drainTimeout = 5 * time.Second

// pendingWrite is one record waiting for the writer.
type pendingWrite struct {
	seq   uint64
	key   []byte
	value []byte // nil = tombstone
	// safe writes are checked against the stored status of entity just
	// before they are sent, and skipped if next may not replace it.
	safe   bool
	entity recordKey
	next   Status
	done   func(error) // may be nil
	// abandoned is set when a synchronous caller gave up waiting; the
	// writer drops the write if it has not sent it yet.
	abandoned atomic.Bool
}

// writer owns the goroutine that sends every write of a store. One batch is
// in flight at a time and a batch never holds two writes of one key, so the
// writes of a key reach the topic in the order they were queued, even when
// kafkalog retries part of a batch after a failure; writes of different keys
// share round trips.
type writer struct {
	log       backingLog
	canWrite  func(*pendingWrite) bool // the safe-write check
	ctx       context.Context          // ends the in-flight write on a hard close
	cancel    context.CancelFunc
	wake      chan struct{} // capacity 1: work was queued or closing began
	done      chan struct{} // closed when run returns
	drain     time.Duration // how long close waits before cancelling ctx
	closeOnce sync.Once

	mu       sync.Mutex
	seq      uint64          // sequence number of the next write
	queue    []*pendingWrite // in seq order
	inflight []*pendingWrite // the batch being written, in seq order
	closing  bool
	changed  chan struct{} // closed and replaced whenever writes complete
}

func newWriter(log backingLog, canWrite func(*pendingWrite) bool) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{
		log:      log,
		canWrite: canWrite,
		ctx:      ctx,
		cancel:   cancel,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		drain:    drainTimeout,
		changed:  make(chan struct{}),
	}
	go w.run()
	return w
}

// enqueue queues p and returns at once; it fails with ErrClosed once Close
// has begun.
func (w *writer) enqueue(p *pendingWrite) error {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		return ErrClosed
	}
	p.seq = w.seq
	w.seq++
	w.queue = append(w.queue, p)
	w.mu.Unlock()
	w.signal()
	return nil
}

func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) run() {
	defer close(w.done)
	for {
		batch, ok := w.nextBatch()
		if !ok {
			return
		}
		w.send(batch)
	}
}

// nextBatch waits for queued writes and takes the oldest of them, at most
// one per key. It reports false once closing has begun and nothing is left.
func (w *writer) nextBatch() ([]*pendingWrite, bool) {
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			closing := w.closing
			w.mu.Unlock()
			if closing {
				return nil, false
			}
			<-w.wake
			continue
		}
		var batch []*pendingWrite
		kept := w.queue[:0:0]
		keys := make(map[string]bool, len(w.queue))
		for _, p := range w.queue {
			if p.abandoned.Load() {
				continue
			}
			// A key already in the batch, or held back, waits for the
			// next round: that keeps its writes in order.
			if len(batch) == maxBatch || keys[string(p.key)] {
				keys[string(p.key)] = true
				kept = append(kept, p)
				continue
			}
			keys[string(p.key)] = true
			batch = append(batch, p)
		}
		clear(w.queue)
		w.queue = kept
		w.inflight = batch
		w.mu.Unlock()
		return batch, true
	}
}

// send writes a batch, skipping safe writes that may no longer be made, and
// reports every outcome.
func (w *writer) send(batch []*pendingWrite) {
	msgs := make([]kafkalog.Message, 0, len(batch))
	outcome := make([]error, len(batch))
	var sent []int
	for i, p := range batch {
		if p.safe && !w.canWrite(p) {
			outcome[i] = ErrSkipped
			continue
		}
		msgs = append(msgs, kafkalog.Message{Key: p.key, Value: p.value})
		sent = append(sent, i)
	}
	if len(msgs) > 0 {
		var err error
		if w.ctx.Err() != nil {
			err = fmt.Errorf("%w: write abandoned", ErrClosed)
		} else if err = w.log.Write(w.ctx, msgs...); err != nil {
			if w.ctx.Err() != nil {
				err = fmt.Errorf("%w: write abandoned: %v", ErrClosed, err)
			} else {
				err = fmt.Errorf("write to status topic: %w", err)
			}
		}
		for _, i := range sent {
			outcome[i] = err
		}
	}
	for i, p := range batch {
		if p.done != nil {
			p.done(outcome[i])
		}
	}
	w.mu.Lock()
	w.inflight = nil
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
}

// flush waits until every write queued before the call has completed and
// its callback has returned.
func (w *writer) flush(ctx context.Context) error {
	w.mu.Lock()
	target := w.seq
	w.mu.Unlock()
	for {
		w.mu.Lock()
		oldest := w.seq
		if len(w.inflight) > 0 {
			oldest = w.inflight[0].seq
		} else if len(w.queue) > 0 {
			oldest = w.queue[0].seq
		}
		// A queued write is never older than the batch in flight: the
		// batch took the oldest writes of the queue.
		ch := w.changed
		w.mu.Unlock()
		if oldest >= target {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// close stops taking writes, gives the queued ones w.drain to be
// written, fails what is left with ErrClosed and waits for the goroutine.
func (w *writer) close() {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closing = true
		w.mu.Unlock()
		w.signal()
		hard := time.AfterFunc(w.drain, w.cancel)
		<-w.done
		hard.Stop()
		w.cancel()
	})
}
