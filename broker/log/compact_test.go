package log

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// compactConfig is a compacted log with small segments.
func compactConfig(segmentBytes int64) Config {
	c := DefaultConfig()
	c.SegmentBytes = segmentBytes
	c.IndexIntervalBytes = 128
	c.Compacted = true
	return c
}

// fillKeys appends n batches of per records each, keys cycling through
// keys distinct names, values naming the batch and record, timestamps ts.
func fillKeys(tb testing.TB, l *Log, n, per, keys int, ts int64, codec kgo.CompressionCodec) []gotRecord {
	tb.Helper()
	var all []gotRecord
	for i := range n {
		var recs []kv
		for j := range per {
			k := (i*per + j) % keys
			recs = append(recs, kv{key: fmt.Appendf(nil, "key-%03d", k), value: fmt.Appendf(nil, "value-%d-%d-%s", i, j, bytes.Repeat([]byte{'x'}, 20))})
		}
		all = append(all, appendKV(tb, l, kvSpec{recs: recs, ts: ts + int64(i*per), codec: codec})...)
	}
	return all
}

func TestCompactKeepsLatestPerKey(t *testing.T) {
	tests := []struct {
		name         string
		n, per, keys int
		segmentBytes int64
	}{
		{"few keys", 60, 5, 7, 1024},
		{"many keys", 80, 10, 300, 4096},
		{"one record per batch", 200, 1, 13, 800},
		{"distinct keys", 30, 4, 1000, 1024},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			cfg := compactConfig(tc.segmentBytes)
			l := openLog(t, dir, cfg, clock)
			all := fillKeys(t, l, tc.n, tc.per, tc.keys, 1000, kgo.NoCompression())
			start, end, size := l.StartOffset(), l.EndOffset(), l.Size()
			before := segmentCount(l)
			l.mu.Lock()
			activeSize := l.active.size
			l.mu.Unlock()
			st, err := l.Compact(clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if l.StartOffset() != start || l.EndOffset() != end {
				t.Fatalf("offsets moved: [%d, %d) -> [%d, %d)", start, end, l.StartOffset(), l.EndOffset())
			}
			ab := activeBase(l)
			if st.End != ab || st.FirstDirty != 0 {
				t.Fatalf("stats %+v, want the dirty range [0, %d)", st, ab)
			}
			got := readRecords(t, l)
			checkCompacted(t, all, got, ab, false)
			if tc.keys < tc.n*tc.per && l.Size() >= size {
				t.Fatalf("size %d -> %d: nothing compacted", size, l.Size())
			}
			if st.SegmentsRead != before-1 || st.BytesRead+activeSize != size || st.BytesWritten > st.BytesRead {
				t.Fatalf("stats %+v for %d segments", st, before)
			}

			// A second pass with nothing new removes nothing but merges
			// the shrunk segments; a third changes nothing at all.
			st2, err := l.Compact(clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if st2.RecordsRemoved != 0 {
				t.Fatalf("second pass removed records: %+v", st2)
			}
			if tc.keys < tc.n*tc.per && segmentCount(l) >= before {
				t.Fatalf("segments %d -> %d: not merged", before, segmentCount(l))
			}
			if again := readRecords(t, l); fmt.Sprint(again) != fmt.Sprint(got) {
				t.Fatal("second pass changed the records")
			}
			if st3, err := l.Compact(clock.Now()); err != nil || st3.SegmentsWritten != 0 || st3.RecordsRemoved != 0 {
				t.Fatalf("third pass: %+v, %v", st3, err)
			}

			// Clean reopen, then a crash with no recovery checkpoint
			// (every segment rescanned, gaps and all), read the same.
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = openLog(t, dir, cfg, clock)
			if again := readRecords(t, l); fmt.Sprint(again) != fmt.Sprint(got) {
				t.Fatal("records differ after reopen")
			}
			crash(l)
			os.Remove(filepath.Join(dir, checkpointFile))
			l = openLog(t, dir, cfg, clock)
			defer l.Close()
			if l.EndOffset() != end {
				t.Fatalf("end %d after rescan, want %d", l.EndOffset(), end)
			}
			if again := readRecords(t, l); fmt.Sprint(again) != fmt.Sprint(got) {
				t.Fatal("records differ after a full rescan")
			}
			// And the log goes on.
			more := appendKV(t, l, kvSpec{recs: kvs("key-000", "after"), ts: 5000})
			if more[0].offset != end {
				t.Fatalf("append after compaction got offset %d, want %d", more[0].offset, end)
			}
		})
	}
}

func TestCompactTombstones(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := compactConfig(600)
	cfg.DeleteRetentionMs = time.Hour.Milliseconds()
	l := openLog(t, dir, cfg, clock)
	defer l.Close()
	now := clock.Now().UnixMilli()
	var all []gotRecord
	all = append(all, appendKV(t, l, kvSpec{recs: kvs("a", "1", "b", "1", "c", "1"), ts: now})...)
	all = append(all, appendKV(t, l, kvSpec{recs: []kv{tombstone("a"), {key: []byte("b"), value: []byte("2")}}, ts: now})...)
	all = append(all, appendKV(t, l, kvSpec{recs: []kv{tombstone("c")}, ts: now})...)
	for i := range 10 { // roll the tombstones out of the active segment
		all = append(all, appendKV(t, l, kvSpec{recs: kvs(fmt.Sprintf("filler-%d", i), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), ts: now})...)
	}
	tombstones := func() []string {
		var out []string
		for _, r := range readRecords(t, l) {
			if r.tombstone {
				out = append(out, r.key)
			}
		}
		return out
	}

	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	got := readRecords(t, l)
	checkCompacted(t, all, got, activeBase(l), false)
	if ts := tombstones(); fmt.Sprint(ts) != "[a c]" {
		t.Fatalf("tombstones after the first pass: %v", ts)
	}
	// The batches holding them carry the delete horizon (KIP-534), and
	// record timestamps are unchanged (checkCompacted compared them).
	b, err := l.Read(all[3].offset, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	horizon := now + time.Hour.Milliseconds()
	if batchAttributes(b)&attrDeleteHorizon == 0 || batchBaseTimestamp(b) != horizon {
		t.Fatalf("tombstone batch attributes %x, baseTimestamp %d; want bit 6 and %d", batchAttributes(b), batchBaseTimestamp(b), horizon)
	}
	if st, err := l.CleanableState(clock.Now()); err != nil || st.Due {
		t.Fatalf("state right after cleaning: %+v, %v", st, err)
	}

	clock.Advance(59 * time.Minute)
	if st, err := l.CleanableState(clock.Now()); err != nil || st.Due {
		t.Fatalf("state before the horizon: %+v, %v", st, err)
	}
	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if ts := tombstones(); fmt.Sprint(ts) != "[a c]" {
		t.Fatalf("tombstones before the horizon: %v", ts)
	}

	clock.Advance(2 * time.Minute)
	if st, err := l.CleanableState(clock.Now()); err != nil || !st.Due {
		t.Fatalf("a passed horizon makes the log due: %+v, %v", st, err)
	}
	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if ts := tombstones(); len(ts) != 0 {
		t.Fatalf("tombstones after the horizon: %v", ts)
	}
	got = readRecords(t, l)
	checkCompacted(t, all, got, activeBase(l), true)
	for _, r := range got {
		if r.key == "a" || r.key == "c" {
			t.Fatalf("deleted key still present: %v", r)
		}
	}
	if st, err := l.CleanableState(clock.Now()); err != nil || st.Due {
		t.Fatalf("state after dropping the tombstones: %+v, %v", st, err)
	}
}

func TestCompactMinCompactionLag(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := compactConfig(700)
	cfg.MinCompactionLagMs = time.Hour.Milliseconds()
	l := openLog(t, dir, cfg, clock)
	defer l.Close()
	now := clock.Now().UnixMilli()
	old := fillKeys(t, l, 20, 4, 5, now-2*time.Hour.Milliseconds(), kgo.NoCompression())
	young := fillKeys(t, l, 20, 4, 5, now-30*time.Minute.Milliseconds(), kgo.NoCompression())
	youngFrom := young[0].offset

	st, err := l.Compact(clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The dirty range stops at the first segment holding a young record,
	// which is the one where the young records start.
	if st.End > youngFrom || st.End < youngFrom-20 {
		t.Fatalf("dirty range ended at %d, young records start at %d", st.End, youngFrom)
	}
	got := readRecords(t, l)
	present := map[int64]bool{}
	for _, r := range got {
		present[r.offset] = true
	}
	for _, r := range young {
		if !present[r.offset] {
			t.Fatalf("young record %v was compacted away", r)
		}
	}
	var oldLeft int
	for _, r := range got {
		if r.offset < st.End {
			oldLeft++
		}
	}
	if oldLeft > 5 {
		t.Fatalf("%d old records left below %d, want at most one per key", oldLeft, st.End)
	}
	checkCompacted(t, append(old, young...), got, st.End, false)

	clock.Advance(time.Hour)
	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	checkCompacted(t, append(old, young...), readRecords(t, l), activeBase(l), false)
}

func TestCleanerDirtyRatio(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := compactConfig(1024)
	cfg.MinCleanableDirtyRatio = 0.5
	l := openLog(t, dir, cfg, clock)
	defer l.Close()
	c := NewCleaner(CleanerOptions{Logs: func() []*Log { return []*Log{l} }, Logger: quietLogger()})
	ctx := context.Background()

	all := fillKeys(t, l, 40, 5, 60, 1000, kgo.NoCompression())
	if got, st, err := c.CleanOnce(ctx); got != l || err != nil || st.SegmentsRead == 0 {
		t.Fatalf("first pass: log %v, %+v, %v", got, st, err)
	}
	if got, _, _ := c.CleanOnce(ctx); got != nil {
		t.Fatal("cleaned again with nothing dirty")
	}
	var sawBelow bool
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatal("the dirty ratio never reached 0.5")
		}
		all = append(all, fillKeys(t, l, 1, 5, 60, clock.Now().UnixMilli(), kgo.NoCompression())...)
		if err := l.SyncTo(l.EndOffset()); err != nil {
			t.Fatal(err)
		}
		st, err := l.CleanableState(clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if st.Due != (st.DirtyBytes > 0 && st.DirtyRatio >= 0.5) {
			t.Fatalf("state %+v: Due disagrees with the ratio", st)
		}
		cleaned, _, err := c.CleanOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Due {
			if cleaned != nil {
				t.Fatalf("cleaned at dirty ratio %.2f", st.DirtyRatio)
			}
			sawBelow = sawBelow || st.DirtyBytes > 0
			continue
		}
		if cleaned != l {
			t.Fatalf("not cleaned at dirty ratio %.2f", st.DirtyRatio)
		}
		break
	}
	if !sawBelow {
		t.Fatal("never saw a dirty log below the threshold")
	}
	checkCompacted(t, all, readRecords(t, l), activeBase(l), false)

	// max.compaction.lag.ms forces a pass below the ratio.
	all = append(all, fillKeys(t, l, 3, 5, 60, clock.Now().UnixMilli(), kgo.NoCompression())...)
	cfg.MaxCompactionLagMs = time.Minute.Milliseconds()
	l.SetConfig(cfg)
	l.SyncTo(l.EndOffset())
	if st, _ := l.CleanableState(clock.Now()); st.Due || st.DirtyBytes == 0 {
		t.Fatalf("young dirty data below the ratio: %+v", st)
	}
	clock.Advance(2 * time.Minute)
	if got, _, err := c.CleanOnce(ctx); got != l || err != nil {
		t.Fatalf("max.compaction.lag.ms exceeded but not cleaned: %v", err)
	}
	checkCompacted(t, all, readRecords(t, l), activeBase(l), false)
}

func TestCompactCompressedBatches(t *testing.T) {
	for _, tc := range testCodecs {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			l := openLog(t, t.TempDir(), compactConfig(2048), clock)
			defer l.Close()
			all := fillKeys(t, l, 40, 8, 11, 1000, tc.codec)
			if _, err := l.Compact(clock.Now()); err != nil {
				t.Fatal(err)
			}
			checkCompacted(t, all, readRecords(t, l), activeBase(l), false)
			// Rewritten batches keep their codec.
			raw, err := l.Read(l.StartOffset(), 1<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range splitBatches(t, raw) {
				if batchRecordCount(b) > 0 && batchAttributes(b)&attrCodecMask != tc.id {
					t.Fatalf("batch %d has codec %d, want %d", batchBaseOffset(b), batchAttributes(b)&attrCodecMask, tc.id)
				}
			}
		})
	}
}

func TestAppendKeylessToCompacted(t *testing.T) {
	keyless := []kv{{key: []byte("k"), value: []byte("v")}, {value: []byte("no key")}}
	tests := []struct {
		name      string
		compacted bool
		codec     kgo.CompressionCodec
		recs      []kv
		wantErr   error
	}{
		{"keyless rejected", true, kgo.NoCompression(), keyless, ErrInvalidRecord},
		{"keyless rejected in gzip", true, kgo.GzipCompression(), keyless, ErrInvalidRecord},
		{"keyless rejected in zstd", true, kgo.ZstdCompression(), keyless, ErrInvalidRecord},
		{"keyed accepted", true, kgo.SnappyCompression(), kvs("a", "1", "b", "2"), nil},
		{"tombstone accepted", true, kgo.NoCompression(), []kv{tombstone("a")}, nil},
		{"empty key accepted", true, kgo.NoCompression(), []kv{{key: []byte{}, value: []byte("v")}}, nil},
		{"keyless on a delete-policy log", false, kgo.NoCompression(), keyless, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Compacted = tc.compacted
			l := openLog(t, t.TempDir(), cfg, nil)
			defer l.Close()
			_, err := l.Append(kvBatch(t, kvSpec{recs: tc.recs, codec: tc.codec}))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Append: %v, want %v", err, tc.wantErr)
			}
			if err != nil && (l.EndOffset() != 0 || l.Size() != 0) {
				t.Fatal("rejected batch was stored")
			}
		})
	}
}

// Records without a key, stored before a topic became compacted, are
// dropped by the cleaner.
func TestCompactDropsKeylessRecords(t *testing.T) {
	clock := newClock()
	cfg := compactConfig(512)
	cfg.Compacted = false
	l := openLog(t, t.TempDir(), cfg, clock)
	defer l.Close()
	var all []gotRecord
	for i := range 20 {
		all = append(all, appendKV(t, l, kvSpec{recs: []kv{{value: []byte("keyless")}, {key: []byte(fmt.Sprint(i % 3)), value: []byte("v")}}, ts: 1000})...)
	}
	cfg.Compacted = true
	l.SetConfig(cfg)
	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	checkCompacted(t, all, readRecords(t, l), activeBase(l), false)
}

// The last batch of an idempotent producer is kept, empty, when compaction
// removes all its records, so a full rescan still knows the producer.
func TestCompactKeepsProducerLastBatch(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := compactConfig(400)
	l := openLog(t, dir, cfg, clock)
	p0 := kvBatch(t, kvSpec{recs: kvs("a", "1", "b", "1"), pid: 7, seq: 0, ts: 1000})
	p1 := kvBatch(t, kvSpec{recs: kvs("a", "2", "b", "2"), pid: 7, seq: 2, ts: 1000})
	mustAppend(t, l, p0)
	res := mustAppend(t, l, p1)
	for i := range 12 {
		appendKV(t, l, kvSpec{recs: kvs("a", fmt.Sprint("x", i), "b", "yyyyyyyyyyyyyyyyyyyyyyyyyyyy"), ts: 1000})
	}
	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	raw, err := l.Read(0, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := splitBatches(t, raw)[0]
	if batchBaseOffset(first) != res.BaseOffset || batchRecordCount(first) != 0 || batchLastOffsetDelta(first) != 1 ||
		batchProducerID(first) != 7 || batchBaseSequence(first) != 2 {
		t.Fatalf("first batch: base %d count %d delta %d pid %d seq %d; want producer 7's last batch kept empty",
			batchBaseOffset(first), batchRecordCount(first), batchLastOffsetDelta(first), batchProducerID(first), batchBaseSequence(first))
	}
	// The emptied batch p0 is gone: it was not the producer's last.
	crash(l)
	os.Remove(filepath.Join(dir, checkpointFile))
	l = openLog(t, dir, cfg, clock)
	defer l.Close()
	// A retry of the last batch is still recognised after the rescan.
	if res2 := mustAppend(t, l, p1); !res2.Duplicate || res2.BaseOffset != res.BaseOffset {
		t.Fatalf("retry after rescan: %+v, want a duplicate of offset %d", res2, res.BaseOffset)
	}
	mustAppend(t, l, kvBatch(t, kvSpec{recs: kvs("c", "1"), pid: 7, seq: 4, ts: 1000}))
}

// A small offset map compacts the dirty range over several passes.
func TestCompactOffsetMapFull(t *testing.T) {
	clock := newClock()
	l := openLog(t, t.TempDir(), compactConfig(16<<10), clock)
	defer l.Close()
	all := fillKeys(t, l, 100, 100, 5000, 1000, kgo.NoCompression())
	s := newCleanScratch(1, 0) // the smallest map: 3072 keys
	passes := 0
	for {
		st, err := l.compact(context.Background(), clock.Now(), s)
		if err != nil {
			t.Fatal(err)
		}
		passes++
		if st.Keys > s.m.capacity() {
			t.Fatalf("%d keys in a map of capacity %d", st.Keys, s.m.capacity())
		}
		if st.End == activeBase(l) {
			break
		}
		if passes > 20 {
			t.Fatal("no progress")
		}
	}
	if passes < 2 {
		t.Fatalf("%d passes for 5000 keys in a 3072-key map", passes)
	}
	checkCompacted(t, all, readRecords(t, l), activeBase(l), false)
}

// Reads at offsets that compaction removed continue with the next batch
// that remains, also across segments.
func TestReadAcrossCompactionGaps(t *testing.T) {
	clock := newClock()
	l := openLog(t, t.TempDir(), compactConfig(300), clock)
	defer l.Close()
	var all []gotRecord
	for i := range 30 {
		key := "dup"
		if i%5 == 0 {
			key = fmt.Sprint("keep-", i)
		}
		all = append(all, appendKV(t, l, kvSpec{recs: kvs(key, fmt.Sprint(i), key, fmt.Sprint(i)), ts: int64(1000 + i*10)})...)
	}
	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	got := readRecords(t, l)
	checkCompacted(t, all, got, activeBase(l), false)
	for off := l.StartOffset(); off < l.EndOffset(); off++ {
		b, err := l.Read(off, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want int64 = -1
		for _, r := range got {
			if r.offset >= off {
				want = r.offset
				break
			}
		}
		recs := decodeBatches(t, b)
		var first int64 = -1
		for _, r := range recs {
			if r.offset >= off {
				first = r.offset
				break
			}
		}
		if first != want {
			t.Fatalf("Read(%d): first record at or after it is %d, want %d", off, first, want)
		}
	}
	// Timestamp lookups see the surviving records.
	for _, r := range got {
		if off, ts, err := l.OffsetForTimestamp(r.ts); err != nil || off != r.offset || ts != r.ts {
			t.Fatalf("OffsetForTimestamp(%d) = %d, %d, %v; want %d", r.ts, off, ts, err, r.offset)
		}
	}
}

// A cleaning pass stopped at any step, as by a crash, leaves a log that
// reopens readable and complete, and the next pass finishes the job.
func TestCompactCrashAtEachStep(t *testing.T) {
	for step := range numCleanSteps {
		for _, group := range []int{1, 2} {
			t.Run(fmt.Sprintf("step%d/group%d", step, group), func(t *testing.T) {
				dir := t.TempDir()
				clock := newClock()
				cfg := compactConfig(1500)
				l := openLog(t, dir, cfg, clock)
				all := fillKeys(t, l, 60, 6, 17, 1000, kgo.GzipCompression())
				all = append(all, appendKV(t, l, kvSpec{recs: []kv{tombstone("key-003")}, ts: 9000})...)
				all = append(all, fillKeys(t, l, 10, 6, 9, 9000, kgo.NoCompression())...)
				end := l.EndOffset()
				seen := 0
				l.failpoint = func(s cleanStep) bool {
					if s == step {
						seen++
						return seen == group
					}
					return false
				}
				if _, err := l.Compact(clock.Now()); !errors.Is(err, errCrashed) {
					t.Fatalf("pass did not stop at the failpoint: %v", err)
				}
				crash(l)

				l = openLog(t, dir, cfg, clock)
				defer func() { l.Close() }()
				if l.EndOffset() != end {
					t.Fatalf("end %d after the crash, want %d", l.EndOffset(), end)
				}
				for _, pattern := range []string{"*" + cleanedSuffix, swapJournalFile} {
					if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) != 0 {
						t.Fatalf("left over after reopen: %v", m)
					}
				}
				got := readRecords(t, l)
				checkComplete(t, all, got)
				if _, err := l.Compact(clock.Now()); err != nil {
					t.Fatal(err)
				}
				checkCompacted(t, all, readRecords(t, l), activeBase(l), false)
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				l = openLog(t, dir, cfg, clock)
				checkCompacted(t, all, readRecords(t, l), activeBase(l), false)
			})
		}
	}
}

// checkComplete verifies that got holds only records appended at their
// offsets and the latest record of every key.
func checkComplete(tb testing.TB, all, got []gotRecord) {
	tb.Helper()
	checkCompacted(tb, all, got, math.MinInt64, false)
}

// Open finishes a committed swap whose renames had not all happened, and
// ignores .cleaned files nobody committed.
func TestOpenCompletesSwap(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := compactConfig(1500)
	l := openLog(t, dir, cfg, clock)
	all := fillKeys(t, l, 40, 6, 10, 1000, kgo.NoCompression())
	l.failpoint = func(s cleanStep) bool { return s == stepIndexRenamed }
	if _, err := l.Compact(clock.Now()); !errors.Is(err, errCrashed) {
		t.Fatal(err)
	}
	crash(l)
	if _, err := os.Stat(filepath.Join(dir, swapJournalFile)); err != nil {
		t.Fatalf("journal missing at the simulated crash: %v", err)
	}
	// A stray uncommitted file from another pass must not be touched.
	stray := filepath.Join(dir, segmentName(999999, logSuffix)+cleanedSuffix)
	os.WriteFile(stray, []byte("partial"), 0o644)
	l = openLog(t, dir, cfg, clock)
	defer l.Close()
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("uncommitted .cleaned file not removed")
	}
	checkComplete(t, all, readRecords(t, l))
	// The first group was swapped: its segment holds each key once.
	segs := segFiles(t, dir, logSuffix)
	if fileSize(t, segs[0]) >= 1500-200 {
		t.Fatalf("first segment still %d bytes: swap not completed", fileSize(t, segs[0]))
	}
}

// Appends, reads and timestamp lookups go on while passes compact the
// log; run with -race. Every read returns valid batches holding records
// as appended, and the log ends up compacted.
func TestCompactConcurrentAppendRead(t *testing.T) {
	clock := newClock()
	cfg := compactConfig(4096)
	l := openLog(t, t.TempDir(), cfg, clock)
	defer l.Close()
	var (
		appended sync.Map // offset -> gotRecord
		all      []gotRecord
		done     = make(chan struct{})
		wg       sync.WaitGroup
		errc     = make(chan error, 16)
	)
	wg.Go(func() {
		defer close(done)
		for i := range 150 {
			var recs []kv
			for j := range 5 {
				recs = append(recs, kv{key: fmt.Appendf(nil, "key-%d", (i*5+j)%50), value: fmt.Appendf(nil, "v-%d-%d", i, j)})
			}
			b := kvBatch(t, kvSpec{recs: recs, ts: int64(1000 + i), codec: testCodecs[i%len(testCodecs)].codec})
			res, err := l.Append(bytes.Clone(b))
			if err != nil {
				errc <- err
				return
			}
			got, err := decodeBatchesErr(stored(b, res.BaseOffset))
			if err != nil {
				errc <- err
				return
			}
			for _, r := range got {
				appended.Store(r.offset, r)
			}
			all = append(all, got...)
		}
	})
	for r := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				start, end := l.StartOffset(), l.EndOffset()
				if end == start {
					continue
				}
				off := start + int64(i*7919+r*13)%(end-start)
				b, err := l.Read(off, 2048, nil)
				if err == nil && len(b) > 0 && lastBatchEnd(b) < off {
					err = fmt.Errorf("Read(%d) returned batches ending at %d", off, lastBatchEnd(b))
				}
				var recs []gotRecord
				if err == nil {
					recs, err = decodeBatchesErr(b)
				}
				for _, rec := range recs {
					if want, ok := appended.Load(rec.offset); ok && fmt.Sprint(want) != fmt.Sprint(rec) {
						err = fmt.Errorf("read %v at offset %d, appended %v", rec, rec.offset, want)
					}
				}
				if err == nil && i%20 == 0 {
					_, _, err = l.OffsetForTimestamp(1200)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	passes := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if _, err := l.Compact(clock.Now()); err != nil {
			t.Fatal(err)
		}
		passes++
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if _, err := l.Compact(clock.Now()); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d passes during the appends", passes)
	checkCompacted(t, all, readRecords(t, l), activeBase(l), false)
}
