package offsets

import (
	"context"
	"maps"
	"math"
	"slices"
	"sync"
	"unsafe"

	"conflux/internal/slab"
)

// OffsetWriter tracks the source offsets of one connector's records between
// the moment a task hands them to the producer and the moment Kafka
// acknowledges them, and writes the committable ones to the store on Flush.
//
// The rule it enforces: an offset may be flushed only when Kafka has
// acknowledged its record AND every record submitted before it for the same
// source partition. A later record acknowledged ahead of an earlier one
// (different producer partitions, a retry) does not make its offset
// committable until the gap is filled, so a restart never skips a record that
// was not written. Records of different source partitions do not wait for
// each other. A record that is never acknowledged holds its partition's
// offset back forever; when a record is dropped on purpose (errors.tolerance
// = all) call Ack for it all the same.
//
// Submit must be called from one goroutine, in the order the task produced
// the records (the order of their source offsets); Ack may be called from any goroutine, in any
// order. Flush may run concurrently with both; concurrent Flush calls are
// serialised. A writer is created per connector (or per task: tasks of one
// connector own distinct source partitions).
type OffsetWriter struct {
	store     *Store
	connector string
	flushMu   sync.Mutex // one Flush at a time

	// The key of the partition map submitted last, by map identity: tasks
	// usually reuse one partition map for all their records, and must not
	// modify a submitted map.
	lastPartition unsafe.Pointer
	lastKey       PartitionKey
	// records is where Submit carves SubmittedRecords from, many to an
	// allocation.
	records slab.Slab[SubmittedRecord]

	mu          sync.Mutex
	queues      map[PartitionKey][]*SubmittedRecord // unacknowledged prefix per partition, in submit order
	committable map[PartitionKey]PartitionOffset    // latest committable offsets, not yet flushed
	outstanding int                                 // submitted, not yet acknowledged
}

// SubmittedRecord is a record handed to the producer whose offset is waiting
// for the acknowledgement.
type SubmittedRecord struct {
	w         *OffsetWriter
	key       PartitionKey
	partition map[string]any
	offset    map[string]any
	acked     bool // guarded by w.mu
}

// NewOffsetWriter returns a writer for the connector's offsets in store.
func NewOffsetWriter(store *Store, connector string) *OffsetWriter {
	return &OffsetWriter{
		store:       store,
		connector:   connector,
		queues:      map[PartitionKey][]*SubmittedRecord{},
		committable: map[PartitionKey]PartitionOffset{},
	}
}

// Submit registers a record about to be sent, with its source partition and
// offset (which the writer keeps; do not modify them afterwards). A record
// without a partition carries nothing to commit: its Ack does nothing. A
// record with a partition but a nil offset keeps its place in the
// partition's order without moving its offset: the next record's offset
// becomes committable only after it is acknowledged too. Sources that
// read many records between two positions worth storing (a file's lines
// of one read) give the offset to the last of them only. An invalid
// partition or offset (one that cannot be encoded as JSON) is reported here
// rather than at Flush.
func (w *OffsetWriter) Submit(partition, offset map[string]any) (*SubmittedRecord, error) {
	r := w.records.One()
	*r = SubmittedRecord{w: w, partition: partition, offset: offset}
	if len(partition) == 0 {
		r.w = nil
		return r, nil
	}
	key, err := w.keyOf(partition)
	if err != nil {
		return nil, err
	}
	if offset != nil && !encodable(offset, 0) {
		if _, err := EncodeValue(offset); err != nil {
			return nil, err
		}
	}
	r.key = key
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queues[key] = append(w.queues[key], r)
	w.outstanding++
	return r, nil
}

// keyOf returns the key of a submitted partition, reusing the last one for
// the same map. Submit is called from one goroutine, in order.
func (w *OffsetWriter) keyOf(partition map[string]any) (PartitionKey, error) {
	id := *(*unsafe.Pointer)(unsafe.Pointer(&partition))
	if id == w.lastPartition && w.lastKey != "" {
		return w.lastKey, nil
	}
	key, err := KeyOf(partition)
	if err != nil {
		return "", err
	}
	w.lastPartition, w.lastKey = id, key
	return key, nil
}

// encodable reports, without encoding, whether v is made only of values
// that always encode as JSON: strings, booleans, nil, integers, finite
// floats, and maps and slices of them. false means "not sure": the caller
// encodes to find out.
func encodable(v any, depth int) bool {
	if depth > 32 {
		return false
	}
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case map[string]any:
		for _, e := range x {
			if !encodable(e, depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !encodable(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// Ack records that Kafka acknowledged the record (or that it was dropped on
// purpose). It is idempotent and safe to call from producer callbacks.
func (r *SubmittedRecord) Ack() {
	w := r.w
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.acked {
		return
	}
	r.acked = true
	w.outstanding--
	q := w.queues[r.key]
	n := 0
	for n < len(q) && q[n].acked {
		n++
	}
	if n == 0 {
		return
	}
	for i := n - 1; i >= 0; i-- {
		if last := q[i]; last.offset != nil {
			w.committable[r.key] = PartitionOffset{Partition: last.partition, Offset: last.offset}
			break
		}
	}
	clear(q[:n])
	if q = q[n:]; len(q) == 0 {
		delete(w.queues, r.key)
	} else {
		w.queues[r.key] = q
	}
}

// Outstanding returns the number of submitted records not yet acknowledged.
func (w *OffsetWriter) Outstanding() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.outstanding
}

// Committable returns the offsets the next Flush would write, sorted by
// partition key.
func (w *OffsetWriter) Committable() []PartitionOffset {
	w.mu.Lock()
	defer w.mu.Unlock()
	return sortedOffsets(w.committable)
}

// Flush writes the latest committable offset of every source partition that
// changed since the last successful Flush, in one batch, and returns once
// Kafka acknowledged them all; the runtime calls it every
// offset.flush.interval.ms and then lets the task commit. It returns the
// number of partitions written. On failure the offsets stay pending (unless
// newer ones became committable meanwhile) and the next Flush writes them.
func (w *OffsetWriter) Flush(ctx context.Context) (int, error) {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	batch := w.committable
	w.committable = map[PartitionKey]PartitionOffset{}
	w.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}
	if err := w.store.Set(ctx, w.connector, sortedOffsets(batch)); err != nil {
		w.mu.Lock()
		for k, po := range batch {
			if _, newer := w.committable[k]; !newer {
				w.committable[k] = po
			}
		}
		w.mu.Unlock()
		return 0, err
	}
	return len(batch), nil
}

func sortedOffsets(m map[PartitionKey]PartitionOffset) []PartitionOffset {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]PartitionOffset, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
