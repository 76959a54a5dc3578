package log

import (
	"fmt"
	"slices"
)

// producerCacheSize is how many recent batches are remembered per producer
// id to recognise retried (duplicate) batches, as in Kafka, whose clients
// keep at most five requests in flight per connection.
const producerCacheSize = 5

// producerExpiryMs is Kafka's producer.id.expiration.ms: state of a producer
// that has not appended for a day is dropped when a snapshot is taken.
const producerExpiryMs = 24 * 60 * 60 * 1000

// seqBatch is one remembered batch of an idempotent producer.
type seqBatch struct {
	firstSeq, lastSeq int32
	baseOffset        int64
}

// producerState is what the log knows about one producer id.
type producerState struct {
	epoch    int16
	n        uint8 // number of valid entries in batches
	batches  [producerCacheSize]seqBatch
	lastTime int64 // broker time of the last append, ms
}

func (st *producerState) push(b seqBatch) {
	if int(st.n) == len(st.batches) {
		copy(st.batches[:], st.batches[1:])
		st.n--
	}
	st.batches[st.n] = b
	st.n++
}

// apply records an appended batch, resetting the remembered batches when
// the epoch moves on. It does no checking: it is used after check succeeded
// and when replaying batches found on disk.
func (st *producerState) apply(epoch int16, b seqBatch, now int64) {
	if epoch != st.epoch {
		st.epoch, st.n = epoch, 0
	}
	st.push(b)
	st.lastTime = now
}

// pendingProducer is a producer's state as it would be after the batches of
// the append being checked.
type pendingProducer struct {
	id int64
	st producerState
}

// producers tracks idempotent producers of one partition. It is guarded by
// Log.mu.
type producers struct {
	m       map[int64]producerState
	pending []pendingProducer // scratch for one append, reused
}

func newProducers() producers {
	return producers{m: make(map[int64]producerState)}
}

// pendingFor returns the pending state for id, creating it from the map.
func (p *producers) pendingFor(id int64) (st *producerState, known bool) {
	for i := range p.pending {
		if p.pending[i].id == id {
			return &p.pending[i].st, true
		}
	}
	cur, known := p.m[id]
	p.pending = append(p.pending, pendingProducer{id: id, st: cur})
	return &p.pending[len(p.pending)-1].st, known
}

// check validates the idempotence fields of every batch of an append whose
// first batch will get offset base, leaving the resulting states pending
// until commit. If a batch repeats one of its producer's recent batches the
// append is a retry: dup is true and dupBase is the offset originally
// assigned to that batch.
func (p *producers) check(records []byte, base, now int64) (dup bool, dupBase int64, err error) {
	p.pending = p.pending[:0]
	next := base
	for pos := 0; pos < len(records); {
		b := records[pos:]
		size := int(int32(be.Uint32(b[offBatchLength:]))) + batchLogOverhead
		delta := batchLastOffsetDelta(b)
		pos += size
		off := next
		next += delta + 1
		id := batchProducerID(b)
		if id < 0 {
			continue
		}
		epoch := batchProducerEpoch(b)
		first := batchBaseSequence(b)
		sb := seqBatch{firstSeq: first, lastSeq: lastSequence(first, delta), baseOffset: off}
		st, known := p.pendingFor(id)
		switch {
		case !known:
			// A producer we have never seen (or whose state expired)
			// may start at any sequence.
		case epoch < st.epoch:
			return false, 0, fmt.Errorf("%w: producer %d epoch %d, current epoch %d", ErrInvalidProducerEpoch, id, epoch, st.epoch)
		case epoch > st.epoch:
			if first != 0 && first >= 0 {
				return false, 0, fmt.Errorf("%w: producer %d new epoch %d starts at sequence %d, want 0", ErrOutOfOrderSequence, id, epoch, first)
			}
		case first < 0:
			// No sequence: only the epoch is fenced.
		default:
			for i := range int(st.n) {
				if c := st.batches[i]; c.firstSeq == sb.firstSeq && c.lastSeq == sb.lastSeq {
					return true, c.baseOffset, nil
				}
			}
			if st.n > 0 {
				if want := nextSequence(st.batches[st.n-1].lastSeq); first != want {
					return false, 0, fmt.Errorf("%w: producer %d epoch %d sequence %d, expected %d", ErrOutOfOrderSequence, id, epoch, first, want)
				}
			}
		}
		st.apply(epoch, sb, now)
	}
	return false, 0, nil
}

// commit stores the states left pending by a successful check.
func (p *producers) commit() {
	for i := range p.pending {
		p.m[p.pending[i].id] = p.pending[i].st
	}
	p.pending = p.pending[:0]
}

// replay applies a batch found on disk during recovery.
func (p *producers) replay(b []byte, now int64) {
	id := batchProducerID(b)
	if id < 0 {
		return
	}
	epoch := batchProducerEpoch(b)
	st := p.m[id]
	if epoch < st.epoch && st.n > 0 {
		return
	}
	first := batchBaseSequence(b)
	st.apply(epoch, seqBatch{firstSeq: first, lastSeq: lastSequence(first, batchLastOffsetDelta(b)), baseOffset: batchBaseOffset(b)}, now)
	p.m[id] = st
}

// lastBatches returns, for every producer, the base offset of its last
// appended batch: the batch compaction must keep (empty if need be) so that
// the producer's sequence survives a rescan of the log.
func (p *producers) lastBatches() map[int64]int64 {
	out := make(map[int64]int64, len(p.m))
	for id, st := range p.m {
		if st.n > 0 {
			out[id] = st.batches[st.n-1].baseOffset
		}
	}
	return out
}

// expire drops producers idle since before now-producerExpiryMs.
func (p *producers) expire(now int64) {
	for id, st := range p.m {
		if now-st.lastTime > producerExpiryMs {
			delete(p.m, id)
		}
	}
}

// Snapshot encoding, one record per producer:
// int64 id, int16 epoch, int64 lastTime, uint8 n, n × (int32 firstSeq,
// int32 lastSeq, int64 baseOffset). Producers are sorted by id so equal
// states encode equally.
func (p *producers) appendSnapshot(dst []byte) []byte {
	ids := make([]int64, 0, len(p.m))
	for id := range p.m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	dst = be.AppendUint32(dst, uint32(len(ids)))
	for _, id := range ids {
		st := p.m[id]
		dst = be.AppendUint64(dst, uint64(id))
		dst = be.AppendUint16(dst, uint16(st.epoch))
		dst = be.AppendUint64(dst, uint64(st.lastTime))
		dst = append(dst, st.n)
		for _, b := range st.batches[:st.n] {
			dst = be.AppendUint32(dst, uint32(b.firstSeq))
			dst = be.AppendUint32(dst, uint32(b.lastSeq))
			dst = be.AppendUint64(dst, uint64(b.baseOffset))
		}
	}
	return dst
}

// readSnapshot decodes what appendSnapshot wrote and returns the rest of b.
func readSnapshot(b []byte) (map[int64]producerState, []byte, error) {
	bad := fmt.Errorf("producer snapshot truncated")
	if len(b) < 4 {
		return nil, nil, bad
	}
	n := int(be.Uint32(b))
	b = b[4:]
	if n > len(b)/19 {
		return nil, nil, bad
	}
	m := make(map[int64]producerState, n)
	for range n {
		if len(b) < 19 {
			return nil, nil, bad
		}
		id := int64(be.Uint64(b))
		st := producerState{epoch: int16(be.Uint16(b[8:])), lastTime: int64(be.Uint64(b[10:])), n: b[18]}
		b = b[19:]
		if int(st.n) > producerCacheSize || len(b) < int(st.n)*16 {
			return nil, nil, bad
		}
		for i := range int(st.n) {
			st.batches[i] = seqBatch{
				firstSeq:   int32(be.Uint32(b)),
				lastSeq:    int32(be.Uint32(b[4:])),
				baseOffset: int64(be.Uint64(b[8:])),
			}
			b = b[16:]
		}
		m[id] = st
	}
	return m, b, nil
}
