package console

import (
	"math"
	"sync"
	"sync/atomic"
)

// Deliveries tells when every record handed to an async producer has been
// acknowledged or has failed. sarama's AsyncClose gives up on records that
// are being retried while it shuts down, so producers here close only once
// Deliveries is done. One goroutine calls Delivered per outcome; the sender
// calls Finish once with the number of records it sent.
type Deliveries struct {
	count  atomic.Int64
	target atomic.Int64
	once   sync.Once
	done   chan struct{}
}

// NewDeliveries returns a tracker with no target yet.
func NewDeliveries() *Deliveries {
	d := &Deliveries{done: make(chan struct{})}
	d.target.Store(math.MaxInt64)
	return d
}

// Delivered records one outcome (success or failure).
func (d *Deliveries) Delivered() {
	if d.count.Add(1) == d.target.Load() {
		d.once.Do(func() { close(d.done) })
	}
}

// Finish sets the number of records sent; Done closes once that many
// outcomes are in.
func (d *Deliveries) Finish(sent int64) {
	d.target.Store(sent)
	if d.count.Load() == sent {
		d.once.Do(func() { close(d.done) })
	}
}

// Done is closed when every sent record has an outcome.
func (d *Deliveries) Done() <-chan struct{} { return d.done }
