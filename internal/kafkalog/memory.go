package kafkalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryTopic is an in-process stand-in for a compacted Kafka topic: records
// are partitioned with the same murmur2 rule, numbered per partition, and kept
// until Compact. Several MemoryLogs may share one topic, like workers sharing
// a Kafka topic. All methods are safe for concurrent use.
type MemoryTopic struct {
	mu      sync.Mutex
	parts   [][]Record
	next    []int64       // end offset per partition
	changed chan struct{} // closed and replaced on every append
}

// NewMemoryTopic returns an empty topic with the given partition count
// (at least 1).
func NewMemoryTopic(partitions int32) *MemoryTopic {
	partitions = max(partitions, 1)
	return &MemoryTopic{
		parts:   make([][]Record, partitions),
		next:    make([]int64, partitions),
		changed: make(chan struct{}),
	}
}

// Partitions returns the partition count.
func (t *MemoryTopic) Partitions() int32 { return int32(len(t.parts)) }

// Append adds records as one producer would, each to the partition its key
// hashes to, and returns them with their partition and offset set.
func (t *MemoryTopic) Append(msgs ...Message) []Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Record, len(msgs))
	now := time.Now()
	for i, m := range msgs {
		p := PartitionFor(m.Key, int32(len(t.parts)))
		r := Record{Partition: p, Offset: t.next[p], Key: clone(m.Key), Value: clone(m.Value), Timestamp: now}
		t.parts[p] = append(t.parts[p], r)
		t.next[p]++
		out[i] = r
	}
	close(t.changed)
	t.changed = make(chan struct{})
	return out
}

// Records returns a copy of every record, partition by partition in offset
// order.
func (t *MemoryTopic) Records() []Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Record
	for _, part := range t.parts {
		out = append(out, part...)
	}
	return out
}

// Compact keeps only the latest record of each key in every partition and,
// with dropTombstones, removes tombstones as well (as the log cleaner does
// once delete.retention.ms has passed). Offsets are kept, leaving gaps.
func (t *MemoryTopic) Compact(dropTombstones bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, part := range t.parts {
		last := make(map[string]int64, len(part))
		for _, r := range part {
			last[string(r.Key)] = r.Offset
		}
		kept := part[:0:0]
		for _, r := range part {
			if last[string(r.Key)] != r.Offset || (dropTombstones && r.Value == nil) {
				continue
			}
			kept = append(kept, r)
		}
		t.parts[p] = kept
	}
}

// read returns the records of partition p from offset from on, and the end.
func (t *MemoryTopic) read(p int32, from int64) ([]Record, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	part := t.parts[p]
	i, _ := slices.BinarySearchFunc(part, from, func(r Record, off int64) int { return cmp.Compare(r.Offset, off) })
	return part[i:len(part):len(part)], t.next[p]
}

func (t *MemoryTopic) ends() ([]int64, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]int64(nil), t.next...), t.changed
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// MemoryLog is Log's contract over a MemoryTopic: records reach apply from a
// goroutine of the log, in order per partition, one call at a time; Write
// returns once its records are applied; ReadToEnd waits for everything
// appended before it was called.
type MemoryLog struct {
	topic  *MemoryTopic
	apply  func(Record)
	prog   *progress
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
}

// OpenMemory starts consuming topic from its beginning and returns once what
// it held has been applied. The contract of apply is Open's.
func OpenMemory(ctx context.Context, topic *MemoryTopic, apply func(Record)) (*MemoryLog, error) {
	if apply == nil {
		return nil, fmt.Errorf("%w: nil apply function", ErrInvalidConfig)
	}
	l := &MemoryLog{
		topic: topic,
		apply: apply,
		prog:  newProgress(len(topic.parts)),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go l.run()
	if err := l.ReadToEnd(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *MemoryLog) run() {
	defer close(l.done)
	pos := make([]int64, len(l.topic.parts))
	for {
		_, changed := l.topic.ends()
		for p := range int32(len(pos)) {
			recs, end := l.topic.read(p, pos[p])
			for _, r := range recs {
				l.apply(r)
			}
			// Offsets compacted away at the end are skipped like records.
			pos[p] = end
			l.prog.advance(p, end)
		}
		select {
		case <-changed:
		case <-l.stop:
			return
		}
	}
}

// Partitions returns the topic's partition count.
func (l *MemoryLog) Partitions() int32 { return l.topic.Partitions() }

// ReadToEnd waits until everything appended to the topic before the call has
// been applied.
func (l *MemoryLog) ReadToEnd(ctx context.Context) error {
	if l.isClosed() {
		return ErrClosed
	}
	ends, _ := l.topic.ends()
	return l.prog.wait(ctx, ends)
}

// Write appends msgs to the topic and waits until this log has applied them.
func (l *MemoryLog) Write(ctx context.Context, msgs ...Message) error {
	if l.isClosed() {
		return ErrClosed
	}
	for _, m := range msgs {
		if m.Key == nil {
			return fmt.Errorf("write: %w: record without a key", ErrInvalidConfig)
		}
	}
	ends := make([]int64, len(l.topic.parts))
	for i := range ends {
		ends[i] = -1
	}
	for _, r := range l.topic.Append(msgs...) {
		ends[r.Partition] = max(ends[r.Partition], r.Offset+1)
	}
	return l.prog.wait(ctx, ends)
}

func (l *MemoryLog) isClosed() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// Close stops consuming; pending calls fail with ErrClosed. It is idempotent.
func (l *MemoryLog) Close() error {
	l.closed.Do(func() {
		close(l.stop)
		<-l.done
		l.prog.close(ErrClosed)
	})
	return nil
}
