package log

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// segmentInfo is what retention decides on: base, size and max timestamp.
type segmentInfo struct {
	base, size, maxTs int64
}

func segmentInfos(t *testing.T, l *Log) []segmentInfo {
	t.Helper()
	l.mu.Lock()
	var vs []segmentView
	for i := range l.segs {
		vs = append(vs, l.view(i))
	}
	l.mu.Unlock()
	defer doneAll(vs)
	var out []segmentInfo
	for i := range vs {
		if err := l.load(&vs[i]); err != nil {
			t.Fatal(err)
		}
		out = append(out, segmentInfo{vs[i].seg.base, vs[i].limit, vs[i].maxTs})
	}
	return out
}

func TestApplyRetention(t *testing.T) {
	const hour = int64(time.Hour / time.Millisecond)
	tests := []struct {
		name           string
		retentionMs    int64
		retentionBytes int64
		// want returns how many of the segments (oldest first, active
		// last) retention must delete.
		want func(segs []segmentInfo, nowMs int64) int
	}{
		{"forever", -1, -1, func([]segmentInfo, int64) int { return 0 }},
		{"by time", hour, -1, func(segs []segmentInfo, nowMs int64) int {
			n := 0
			for n < len(segs)-1 && segs[n].maxTs < nowMs-hour {
				n++
			}
			return n
		}},
		{"by size", -1, 2000, func(segs []segmentInfo, _ int64) int {
			var total int64
			for _, s := range segs {
				total += s.size
			}
			n := 0
			for n < len(segs)-1 && total-segs[n].size >= 2000 {
				total -= segs[n].size
				n++
			}
			return n
		}},
		{"everything expired, never the active segment", 0, -1, func(segs []segmentInfo, _ int64) int { return len(segs) - 1 }},
		{"size limit zero", -1, 0, func(segs []segmentInfo, _ int64) int { return len(segs) - 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			cfg := DefaultConfig()
			cfg.SegmentBytes = 700
			cfg.RetentionMs, cfg.RetentionBytes = tc.retentionMs, tc.retentionBytes
			l := openLog(t, dir, cfg, clock)
			nowMs := clock.Now().UnixMilli()
			// Old records first, recent ones after, all in the past.
			for i := range 40 {
				ts := nowMs - 3*hour + int64(i)*60_000
				if i >= 25 {
					ts = nowMs - 10*60_000
				}
				appendKV(t, l, kvSpec{recs: kvs(fmt.Sprint("k", i), "some value of a few bytes", "x", "y"), ts: ts})
			}
			segs := segmentInfos(t, l)
			if len(segs) < 6 {
				t.Fatalf("only %d segments", len(segs))
			}
			want := tc.want(segs, nowMs)
			if want == 0 && (tc.retentionMs >= 0 || tc.retentionBytes >= 0) {
				t.Fatal("test data leaves nothing to delete")
			}
			end, size := l.EndOffset(), l.Size()

			n, err := l.ApplyRetention(clock.Now())
			if err != nil || n != want {
				t.Fatalf("ApplyRetention = %d, %v; want %d segments deleted", n, err, want)
			}
			wantStart := segs[want].base
			if l.StartOffset() != wantStart || l.EndOffset() != end {
				t.Fatalf("offsets [%d, %d), want [%d, %d)", l.StartOffset(), l.EndOffset(), wantStart, end)
			}
			var deleted int64
			for _, s := range segs[:want] {
				deleted += s.size
			}
			if l.Size() != size-deleted || len(segFiles(t, dir, logSuffix)) != len(segs)-want {
				t.Fatalf("size %d with %d files, want %d with %d", l.Size(), len(segFiles(t, dir, logSuffix)), size-deleted, len(segs)-want)
			}
			check := func(l *Log) {
				t.Helper()
				if l.StartOffset() != wantStart {
					t.Fatalf("start %d, want %d", l.StartOffset(), wantStart)
				}
				if wantStart > 0 {
					if _, err := l.Read(wantStart-1, 100, nil); !errors.Is(err, ErrOffsetOutOfRange) {
						t.Fatalf("read below the start: %v", err)
					}
				}
				if b, err := l.Read(wantStart, 1, nil); err != nil || len(b) == 0 || batchBaseOffset(b) != wantStart {
					t.Fatalf("read at the start: %d bytes, %v", len(b), err)
				}
			}
			check(l)
			// A second run deletes nothing more.
			if n, err := l.ApplyRetention(clock.Now()); err != nil || n != 0 {
				t.Fatalf("second run deleted %d, %v", n, err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = openLog(t, dir, cfg, clock)
			check(l)
			crash(l)
			l = openLog(t, dir, cfg, clock)
			defer l.Close()
			check(l)
			if res := mustAppend(t, l, kvBatch(t, kvSpec{recs: kvs("a", "b"), ts: nowMs})); res.BaseOffset != end || res.LogStartOffset != wantStart {
				t.Fatalf("append after retention: %+v", res)
			}
		})
	}
}

// Retention deletes segments that readers are in the middle of: they
// finish from the open files.
func TestRetentionWithConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := DefaultConfig()
	cfg.SegmentBytes = 2000
	cfg.RetentionMs = 0
	l := openLog(t, dir, cfg, clock)
	defer l.Close()
	fillKeys(t, l, 50, 5, 1000, 1000, kgo.NoCompression())

	// A reader holding the first segment.
	l.mu.Lock()
	v := l.view(0)
	l.mu.Unlock()
	if err := l.load(&v); err != nil {
		t.Fatal(err)
	}
	path := v.seg.path(logSuffix)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errc := make(chan error, 4)
	for r := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				off := int64(i*31+r) % l.EndOffset()
				b, err := l.Read(off, 4096, nil)
				if errors.Is(err, ErrOffsetOutOfRange) {
					continue
				}
				if err == nil {
					for _, x := range splitBatches(t, b) {
						_, err = checkStoredBatch(x)
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	n, err := l.ApplyRetention(clock.Now())
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if err != nil || n == 0 {
		t.Fatalf("ApplyRetention = %d, %v", n, err)
	}
	if len(segFiles(t, dir, logSuffix)) != 1 {
		t.Fatalf("%d segment files left, want only the active one", len(segFiles(t, dir, logSuffix)))
	}
	// The held segment's file is gone but still readable.
	buf := make([]byte, v.limit)
	if _, err := v.seg.f.ReadAt(buf, 0); err != nil {
		t.Fatalf("reading a deleted segment through a held reference: %v", err)
	}
	if _, err := checkStoredBatch(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("deleted segment file still present")
	}
	v.done()
}

// Retention during a cleaning pass moves the start offset at once and
// deletes the files when the pass ends.
func TestRetentionDuringCompaction(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := compactConfig(1000)
	l := openLog(t, dir, cfg, clock)
	defer l.Close()
	all := fillKeys(t, l, 40, 5, 7, 1000, kgo.NoCompression())
	segs := segmentInfos(t, l)
	cut := segs[3].base
	var during int64
	l.failpoint = func(s cleanStep) bool {
		if s == stepSwapped && during == 0 {
			if _, err := l.DeleteRecordsBefore(cut); err != nil {
				t.Error(err)
			}
			during = int64(len(segFiles(t, dir, logSuffix)))
		}
		return false
	}
	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if during != int64(len(segs)) {
		t.Fatalf("%d segment files while the pass ran, want all %d kept", during, len(segs))
	}
	if l.StartOffset() != cut {
		t.Fatalf("start %d, want %d", l.StartOffset(), cut)
	}
	if got := len(segFiles(t, dir, logSuffix)); got != len(segs)-3 {
		t.Fatalf("%d segment files after the pass, want %d", got, len(segs)-3)
	}
	var kept []gotRecord
	for _, r := range all {
		if r.offset >= cut {
			kept = append(kept, r)
		}
	}
	got := readRecords(t, l)
	for _, r := range got {
		if r.offset < cut {
			t.Fatalf("record %v below the start offset", r)
		}
	}
	checkCompacted(t, all, got, activeBase(l), true)
}
