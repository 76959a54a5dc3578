package perf

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramExactSmallValues(t *testing.T) {
	var h Histogram
	for v := range int64(100) {
		h.RecordMicros(v + 1) // 1..100 µs
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Microsecond}, {95, 95 * time.Microsecond}, {99, 99 * time.Microsecond},
		{99.9, 100 * time.Microsecond}, {100, 100 * time.Microsecond}, {1, time.Microsecond}}
	for _, tt := range tests {
		if got := h.Percentile(tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if h.Count() != 100 || h.Max() != 100*time.Microsecond || h.Min() != time.Microsecond {
		t.Errorf("count %d max %v min %v", h.Count(), h.Max(), h.Min())
	}
	if got := h.Mean(); got != 50500*time.Nanosecond {
		t.Errorf("mean %v, want 50.5µs", got)
	}
}

// TestHistogramAccuracy compares percentiles with the exact nearest-rank
// values of a wide random distribution: they must be within 1%.
func TestHistogramAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]int64, 200_000)
	for i := range vals {
		vals[i] = int64(math.Exp(r.Float64() * 16)) // 1 µs .. ~9 s, log-uniform
		h.RecordMicros(vals[i])
	}
	slices.Sort(vals)
	for _, p := range []float64{1, 25, 50, 90, 95, 99, 99.9, 99.99} {
		exact := vals[int(math.Ceil(p/100*float64(len(vals))))-1]
		got := h.Percentile(p).Microseconds()
		if diff := math.Abs(float64(got-exact)) / float64(exact); diff > 0.01 {
			t.Errorf("p%v = %dµs, exact %dµs (%.2f%% off)", p, got, exact, diff*100)
		}
	}
	if h.Max().Microseconds() != vals[len(vals)-1] {
		t.Errorf("max %v, want %dµs", h.Max(), vals[len(vals)-1])
	}
}

func TestHistogramBuckets(t *testing.T) {
	// Every value falls in a bucket whose range contains it, and bucket
	// ranges are contiguous.
	prevHi := int64(-1)
	for i := range 40 * subCount {
		lo, hi := bucketRange(i)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d = [%d,%d] after %d", i, lo, hi, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d: bucketOf(%d)=%d bucketOf(%d)=%d", i, lo, bucketOf(lo), hi, bucketOf(hi))
		}
		prevHi = hi
	}
}

func TestHistogramMergeResetEmpty(t *testing.T) {
	var a, b, empty Histogram
	if empty.Percentile(99) != 0 || empty.Mean() != 0 || empty.Max() != 0 {
		t.Error("empty histogram must report zeros")
	}
	a.Record(time.Millisecond)
	b.Record(3 * time.Millisecond)
	b.Record(-time.Second) // counts as zero
	a.Merge(&b)
	a.Merge(&empty)
	if a.Count() != 3 || a.Max() != 3*time.Millisecond || a.Min() != 0 || a.Percentile(50) < 990*time.Microsecond {
		t.Errorf("merged: count %d max %v min %v p50 %v", a.Count(), a.Max(), a.Min(), a.Percentile(50))
	}
	a.Reset()
	if a.Count() != 0 || a.Percentile(50) != 0 {
		t.Error("reset histogram not empty")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	i := int64(0)
	for b.Loop() {
		h.RecordMicros(i & 0xffff)
		i++
	}
}
