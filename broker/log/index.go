package log

import (
	"fmt"
	"math"
)

// Sizes of index entries, as on disk and in memory.
const (
	// offsetEntrySize: uint32 offset of a batch's last record relative to
	// the segment base, uint32 file position of that batch.
	offsetEntrySize = 8
	// timeEntrySize: int64 running maximum timestamp of the segment up to
	// and including the batch, uint32 relative offset of that batch's last
	// record.
	timeEntrySize = 12
)

// segment file name suffixes.
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
)

// segmentName returns the file name of a segment file with the given suffix.
func segmentName(base int64, suffix string) string {
	return fmt.Sprintf("%020d%s", base, suffix)
}

func offsetEntry(idx []byte, i int) (rel uint32, pos uint32) {
	e := idx[i*offsetEntrySize:]
	return be.Uint32(e), be.Uint32(e[4:])
}

func timeEntry(tidx []byte, i int) (ts int64, rel uint32) {
	e := tidx[i*timeEntrySize:]
	return int64(be.Uint64(e)), be.Uint32(e[8:])
}

func appendOffsetEntry(idx []byte, rel, pos uint32) []byte {
	idx = be.AppendUint32(idx, rel)
	return be.AppendUint32(idx, pos)
}

func appendTimeEntry(tidx []byte, ts int64, rel uint32) []byte {
	tidx = be.AppendUint64(tidx, uint64(ts))
	return be.AppendUint32(tidx, rel)
}

// lookupPosition returns the file position from which to walk batch headers
// to find the batch holding relative offset rel: the position of the last
// indexed batch that ends before rel, or 0.
func lookupPosition(idx []byte, rel int64) int64 {
	n := len(idx) / offsetEntrySize
	lo, hi := 0, n // find the first entry whose last offset >= rel
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r, _ := offsetEntry(idx, m); int64(r) < rel {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	_, pos := offsetEntry(idx, lo-1)
	return int64(pos)
}

// lookupTimeBefore returns the relative offset of the last time index entry
// whose running maximum timestamp is below ts: every record up to and
// including that offset is older than ts. ok is false if there is none.
func lookupTimeBefore(tidx []byte, ts int64) (rel int64, ok bool) {
	n := len(tidx) / timeEntrySize
	lo, hi := 0, n // first entry with timestamp >= ts
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t, _ := timeEntry(tidx, m); t < ts {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0, false
	}
	_, r := timeEntry(tidx, lo-1)
	return int64(r), true
}

// lastTimeEntry returns the newest time index entry, or ok false if empty.
func lastTimeEntry(tidx []byte) (ts int64, rel uint32, ok bool) {
	n := len(tidx) / timeEntrySize
	if n == 0 {
		return 0, 0, false
	}
	ts, rel = timeEntry(tidx, n-1)
	return ts, rel, true
}

// checkOffsetIndex reports whether idx is a plausible offset index for a
// segment of size bytes whose relative offsets stay at or below maxRel
// (negative: unknown): whole entries, strictly increasing offsets and
// positions, every position inside the file.
func checkOffsetIndex(idx []byte, size int64, maxRel int64) bool {
	if len(idx)%offsetEntrySize != 0 {
		return false
	}
	if maxRel < 0 {
		maxRel = math.MaxUint32
	}
	prevRel, prevPos := int64(-1), int64(-1)
	for i := range len(idx) / offsetEntrySize {
		r, p := offsetEntry(idx, i)
		if int64(r) <= prevRel || int64(p) <= prevPos || int64(p) >= size || int64(r) > maxRel {
			return false
		}
		prevRel, prevPos = int64(r), int64(p)
	}
	return true
}

// checkTimeIndex reports whether tidx is a plausible time index: whole
// entries, non-decreasing timestamps and offsets, offsets at or below maxRel
// (negative: unknown).
func checkTimeIndex(tidx []byte, maxRel int64) bool {
	if len(tidx)%timeEntrySize != 0 {
		return false
	}
	if maxRel < 0 {
		maxRel = math.MaxUint32
	}
	prevTs, prevRel := int64(math.MinInt64), int64(-1)
	for i := range len(tidx) / timeEntrySize {
		t, r := timeEntry(tidx, i)
		if t < prevTs || int64(r) < prevRel || int64(r) > maxRel {
			return false
		}
		prevTs, prevRel = t, int64(r)
	}
	return true
}

// indexBuilder adds sparse index entries as batches are appended to, or
// rediscovered in, a segment. It is the single place that decides where
// entries go, so appends and recovery produce the same index.
type indexBuilder struct {
	base            int64 // segment base offset
	interval        int   // index.interval.bytes
	bytesSinceIndex int   // bytes appended since the last offset index entry
	maxTs           int64 // running max timestamp of the segment, -1 if none
	maxTsLast       int64 // last offset of the batch that first reached maxTs
	lastTimeIdxTs   int64 // timestamp of the newest time index entry, -1 if none
}

// add records one batch at file position pos, appending entries to the
// given index slices, and returns them.
func (b *indexBuilder) add(idx, tidx []byte, pos int64, size int, lastOffset, maxTs int64) ([]byte, []byte) {
	if maxTs > b.maxTs {
		b.maxTs, b.maxTsLast = maxTs, lastOffset
	}
	if b.bytesSinceIndex > b.interval {
		rel := uint32(lastOffset - b.base)
		idx = appendOffsetEntry(idx, rel, uint32(pos))
		if b.maxTs > b.lastTimeIdxTs {
			tidx = appendTimeEntry(tidx, b.maxTs, rel)
			b.lastTimeIdxTs = b.maxTs
		}
		b.bytesSinceIndex = 0
	}
	b.bytesSinceIndex += size
	return idx, tidx
}

// seal appends the final time index entry of a segment that stops taking
// appends, so that the last entry of a non-empty segment always holds the
// segment's maximum timestamp and its last offset.
func (b *indexBuilder) seal(tidx []byte, lastOffset int64) []byte {
	if lastOffset < b.base {
		return tidx
	}
	rel := lastOffset - b.base
	if _, r, ok := lastTimeEntry(tidx); ok && int64(r) >= rel {
		return tidx
	}
	b.lastTimeIdxTs = b.maxTs
	return appendTimeEntry(tidx, b.maxTs, uint32(rel))
}
