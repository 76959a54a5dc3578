package log

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// decompressor inflates compressed batches for timestamp lookups (gzip,
// snappy raw and xerial, lz4 frame, zstd). It is safe for concurrent use.
var decompressor = kgo.DefaultDecompressor()

// views captures every segment that may hold offsets at or after the log
// start offset, taking a reference on each; release them with done.
func (l *Log) views() ([]segmentView, int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, 0, ErrClosed
	}
	if l.start == l.end {
		return nil, l.start, nil
	}
	var vs []segmentView
	for i := l.findSegment(l.start); i < len(l.segs); i++ {
		vs = append(vs, l.view(i))
	}
	return vs, l.start, nil
}

func doneAll(vs []segmentView) {
	for i := range vs {
		vs[i].done()
	}
}

// OffsetForTimestamp returns the offset and timestamp of the first record
// whose timestamp is at or after ts (ListOffsets by time), or (-1, -1) if
// there is none. It finds the segment and starting batch through the time
// and offset indexes, then decodes records (decompressing if needed) of the
// first batch whose maxTimestamp reaches ts.
func (l *Log) OffsetForTimestamp(ts int64) (offset, timestamp int64, err error) {
	vs, start, err := l.views()
	if err != nil {
		return -1, -1, err
	}
	defer doneAll(vs)
	for i := range vs {
		v := &vs[i]
		if err := l.load(v); errors.Is(err, ErrOffsetOutOfRange) {
			continue
		} else if err != nil {
			return -1, -1, err
		}
		if v.maxTs < ts || v.limit == 0 {
			continue
		}
		from := max(start, v.seg.base)
		if rel, ok := lookupTimeBefore(v.tidx, ts); ok {
			from = max(from, v.seg.base+rel+1)
		}
		off, t, found, err := v.findRecord(from, func(maxTs int64) bool { return maxTs >= ts }, ts)
		if err != nil || found {
			return off, t, err
		}
	}
	return -1, -1, nil
}

// MaxTimestamp returns the largest timestamp in the log and the offset of
// the first record carrying it (ListOffsets MAX_TIMESTAMP), or (-1, -1) if
// the log holds no timestamped record.
func (l *Log) MaxTimestamp() (timestamp, offset int64, err error) {
	vs, start, err := l.views()
	if err != nil {
		return -1, -1, err
	}
	defer doneAll(vs)
	best := -1
	bestTs := int64(-1)
	for i := range vs {
		if err := l.load(&vs[i]); errors.Is(err, ErrOffsetOutOfRange) {
			continue
		} else if err != nil {
			return -1, -1, err
		}
		if vs[i].limit > 0 && vs[i].maxTs > bestTs {
			best, bestTs = i, vs[i].maxTs
		}
	}
	if best < 0 {
		return -1, -1, nil
	}
	v := &vs[best]
	from := max(start, v.seg.base)
	if rel, ok := lookupTimeBefore(v.tidx, bestTs); ok {
		from = max(from, v.seg.base+rel+1)
	}
	off, t, found, err := v.findRecord(from, func(maxTs int64) bool { return maxTs >= bestTs }, bestTs)
	if err != nil {
		return -1, -1, err
	}
	if !found {
		// The maximum lies below the log start offset, inside the
		// first segment: fall back to the largest batch above it.
		return v.maxAbove(start)
	}
	return t, off, nil
}

// findRecord walks the batches of the view from the one holding offset from,
// and in the first batch whose header satisfies want, returns the first
// record at or after from with a timestamp at or after ts.
func (v *segmentView) findRecord(from int64, want func(maxTs int64) bool, ts int64) (offset, timestamp int64, found bool, err error) {
	sc := scanner{f: v.seg.f, end: v.limit, chunk: readScanChunk}
	sc.start(lookupPosition(v.index, from-v.seg.base))
	for sc.next(false) {
		h := sc.batch
		if batchBaseOffset(h)+batchLastOffsetDelta(h) < from || !want(batchMaxTimestamp(h)) {
			continue
		}
		b, err := sc.window(sc.pos, sc.size)
		if err != nil {
			return -1, -1, false, err
		}
		off, t, ok, err := recordAtOrAfter(b, from, ts)
		if err != nil {
			return -1, -1, false, fmt.Errorf("batch at offset %d in %s: %w", batchBaseOffset(b), v.seg.path(logSuffix), err)
		}
		if ok {
			return off, t, true, nil
		}
	}
	if sc.err != nil {
		return -1, -1, false, fmt.Errorf("read %s: %w", v.seg.path(logSuffix), sc.err)
	}
	return -1, -1, false, nil
}

// maxAbove finds the largest timestamp among records at or after offset
// from by walking every batch header of the view, decoding only the batch
// that straddles from.
func (v *segmentView) maxAbove(from int64) (timestamp, offset int64, err error) {
	sc := scanner{f: v.seg.f, end: v.limit, chunk: readScanChunk}
	sc.start(lookupPosition(v.index, from-v.seg.base))
	bestTs, bestOff, bestPos := int64(-1), int64(-1), int64(-1)
	for sc.next(false) {
		h := sc.batch
		base, last := batchBaseOffset(h), batchBaseOffset(h)+batchLastOffsetDelta(h)
		switch {
		case last < from || batchMaxTimestamp(h) <= bestTs:
		case base < from:
			b, err := sc.window(sc.pos, sc.size)
			if err != nil {
				return -1, -1, err
			}
			ts, off, err := recordsMax(b, from)
			if err != nil {
				return -1, -1, err
			}
			if ts > bestTs {
				bestTs, bestOff, bestPos = ts, off, -1
			}
		default:
			bestTs, bestOff, bestPos = batchMaxTimestamp(h), -1, sc.pos
		}
	}
	if sc.err != nil {
		return -1, -1, sc.err
	}
	if bestPos < 0 {
		return bestTs, bestOff, nil
	}
	sc.start(bestPos)
	if !sc.next(false) {
		return -1, -1, sc.err
	}
	b, err := sc.window(sc.pos, sc.size)
	if err != nil {
		return -1, -1, err
	}
	off, t, ok, err := recordAtOrAfter(b, from, bestTs)
	if err != nil || !ok {
		return -1, -1, err
	}
	return t, off, nil
}

// recordsMax returns the largest timestamp among the records of batch b at
// or after offset from, and the first offset carrying it.
func recordsMax(b []byte, from int64) (timestamp, offset int64, err error) {
	timestamp, offset = -1, -1
	err = eachRecord(b, func(off, ts int64) bool {
		if off >= from && ts > timestamp {
			timestamp, offset = ts, off
		}
		return true
	})
	return timestamp, offset, err
}

// recordAtOrAfter returns the first record of batch b whose offset is at
// least from and whose timestamp is at least ts.
func recordAtOrAfter(b []byte, from, ts int64) (offset, timestamp int64, found bool, err error) {
	offset, timestamp = -1, -1
	err = eachRecord(b, func(off, t int64) bool {
		if off >= from && t >= ts {
			offset, timestamp, found = off, t, true
			return false
		}
		return true
	})
	return offset, timestamp, found, err
}

// eachRecord calls fn with the offset and timestamp of each record of batch
// b in order, until fn returns false. Compressed records are inflated. With
// LogAppendTime every record carries the batch's maxTimestamp. A compacted
// batch may hold fewer records than its offset range.
func eachRecord(b []byte, fn func(offset, timestamp int64) bool) error {
	base := batchBaseOffset(b)
	attrs := batchAttributes(b)
	appendTime := attrs&attrLogAppendTime != 0
	if appendTime && int64(batchRecordCount(b)) == batchLastOffsetDelta(b)+1 {
		// Every offset of the range is a record: no need to decode.
		t := batchMaxTimestamp(b)
		for off := base; off <= base+batchLastOffsetDelta(b); off++ {
			if !fn(off, t) {
				break
			}
		}
		return nil
	}
	recs := b[batchHeaderSize:]
	if codec := attrs & attrCodecMask; codec != 0 {
		var err error
		recs, err = decompressor.Decompress(recs, kgo.CompressionCodecType(codec))
		if err != nil {
			return fmt.Errorf("decompress (codec %d): %w", codec, err)
		}
	}
	baseTs := batchBaseTimestamp(b)
	for range batchRecordCount(b) {
		length, n := binary.Varint(recs)
		if n <= 0 || length < 0 || int64(len(recs)-n) < length {
			return fmt.Errorf("%w: bad record length", ErrCorruptBatch)
		}
		body := recs[n : n+int(length)]
		recs = recs[n+int(length):]
		if len(body) < 1 {
			return fmt.Errorf("%w: empty record", ErrCorruptBatch)
		}
		body = body[1:] // attributes
		tsDelta, n := binary.Varint(body)
		if n <= 0 {
			return fmt.Errorf("%w: bad record timestamp", ErrCorruptBatch)
		}
		offDelta, m := binary.Varint(body[n:])
		if m <= 0 {
			return fmt.Errorf("%w: bad record offset delta", ErrCorruptBatch)
		}
		ts := baseTs + tsDelta
		if appendTime {
			ts = batchMaxTimestamp(b)
		}
		if !fn(base+offDelta, ts) {
			return nil
		}
	}
	return nil
}
