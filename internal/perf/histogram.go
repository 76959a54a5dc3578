package perf

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power-of-two range of values
// is split into 2^subBits buckets, so a recorded value is reported within
// 1/2^subBits (under 1%) of its true value. Values below 2^subBits are exact.
const subBits = 7

const subCount = 1 << subBits

// Histogram records durations (at microsecond resolution) in log-linear
// buckets, in constant memory, and answers percentile queries. The zero
// value is ready to use. It is not safe for concurrent use.
type Histogram struct {
	counts []int64
	n      int64
	sum    int64 // microseconds
	max    int64 // microseconds
	min    int64 // microseconds
}

// bucketOf returns the bucket index of v >= 0.
func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits - 1
	return subCount + shift*subCount + int(v>>shift) - subCount
}

// bucketRange returns the smallest and largest value of bucket i.
func bucketRange(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i)
	}
	shift := (i - subCount) / subCount
	m := int64((i-subCount)%subCount + subCount)
	return m << shift, (m+1)<<shift - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	h.RecordMicros(d.Microseconds())
}

// RecordMicros adds one value in microseconds.
func (h *Histogram) RecordMicros(us int64) {
	if us < 0 {
		us = 0
	}
	i := bucketOf(us)
	if i >= len(h.counts) {
		n := max(i+1, 2*len(h.counts), 16*subCount)
		c := make([]int64, n)
		copy(c, h.counts)
		h.counts = c
	}
	h.counts[i]++
	if h.n == 0 || us < h.min {
		h.min = us
	}
	h.n++
	h.sum += us
	if us > h.max {
		h.max = us
	}
}

// Merge adds all values recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		c := make([]int64, len(o.counts))
		copy(c, h.counts)
		h.counts = c
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count returns the number of recorded values.
func (h *Histogram) Count() int64 { return h.n }

// Max returns the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) * time.Microsecond }

// Min returns the smallest recorded value, exactly.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) * time.Microsecond }

// Mean returns the average of the recorded values, exactly (to the
// microsecond of each value); zero when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(float64(h.sum) / float64(h.n) * float64(time.Microsecond))
}

// Percentile returns the value below or at which p percent (0 < p <= 100)
// of the recorded values fall: the value of rank ceil(p/100 * n), as in the
// nearest-rank definition, reported as the middle of its bucket and never
// above Max. Zero when empty.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(p / 100 * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			v := min(lo+(hi-lo)/2, h.max)
			v = max(v, h.min)
			return time.Duration(v) * time.Microsecond
		}
	}
	return h.Max()
}

// Reset forgets all recorded values, keeping the allocated buckets.
func (h *Histogram) Reset() {
	clear(h.counts)
	h.n, h.sum, h.max, h.min = 0, 0, 0, 0
}
