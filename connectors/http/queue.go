package http

import (
	"time"

	"conflux/connectors"
)

// itemState is where a record is on its way to the endpoint.
type itemState uint8

const (
	queued  itemState = iota // waiting for a request
	sending                  // in a request in flight
	failed                   // failed for good; to report on the task's goroutine
	done                     // accepted, or reported
)

// item is one record to send.
type item struct {
	rec      *connectors.Record // a copy, for the error path
	offset   int64
	url      string
	method   string
	body     []byte
	enqueued time.Time
	state    itemState
	err      error
}

// partition is the queue of one Kafka partition's records, in offset
// order. At most one request of a partition is in flight, which keeps the
// partition's order at the endpoint.
type partition struct {
	items   []*item // from the oldest record not done
	sending bool
}

// next returns the batch to send next: consecutive queued records with
// one URL and method, up to the limits; full says it cannot grow any more.
func (p *partition) next(maxRecords, maxBytes int) (batch []*item, full bool) {
	i := 0
	for i < len(p.items) && p.items[i].state != queued {
		i++
	}
	if i == len(p.items) {
		return nil, false
	}
	first := p.items[i]
	if first.method == "DELETE" {
		return p.items[i : i+1], true
	}
	size := len(first.body)
	j := i + 1
	for ; j < len(p.items) && j-i < maxRecords; j++ {
		it := p.items[j]
		if it.method != first.method || it.url != first.url || size+1+len(it.body) > maxBytes {
			return p.items[i:j], true
		}
		size += 1 + len(it.body)
	}
	return p.items[i:j], j-i >= maxRecords
}

// compact drops the records done at the head and returns how many.
func (p *partition) compact() int {
	n := 0
	for n < len(p.items) && p.items[n].state == done {
		p.items[n] = nil
		n++
	}
	p.items = p.items[n:]
	if len(p.items) == 0 {
		p.items = nil
	}
	return n
}

// frontier returns the offset of the oldest record not done: the offset
// up to which the partition may be committed. ok is false when every
// record put is done.
func (p *partition) frontier() (int64, bool) {
	for _, it := range p.items {
		if it.state != done {
			return it.offset, true
		}
	}
	return 0, false
}
