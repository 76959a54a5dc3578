package log

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fillLog appends n batches of 3 records (offsets 3i..3i+2) and returns the
// stored bytes of each batch.
func fillLog(t *testing.T, l *Log, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for i := range n {
		b := buildBatch(t, batchSpec{records: 3, valueSize: 40, baseTs: int64(1000 + i), tsStep: 1, pid: noPID, seq: -1})
		res := mustAppend(t, l, b)
		out = append(out, stored(b, res.BaseOffset))
	}
	return out
}

func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	segs := segFiles(t, dir, logSuffix)
	return segs[len(segs)-1]
}

func TestRecovery(t *testing.T) {
	const n = 40
	tests := []struct {
		name string
		// damage changes the files of a crashed log of n batches in one
		// segment (batch size bs) and returns how many batches survive.
		damage func(t *testing.T, dir string, bs int64) int
		clean  bool // close cleanly before damaging
	}{
		{"no damage", func(t *testing.T, dir string, bs int64) int { return n }, false},
		{"torn tail", func(t *testing.T, dir string, bs int64) int {
			truncate(t, lastSegment(t, dir), 30*bs+bs/2)
			return 30
		}, false},
		{"torn inside header", func(t *testing.T, dir string, bs int64) int {
			truncate(t, lastSegment(t, dir), 12*bs+7)
			return 12
		}, false},
		{"garbage appended", func(t *testing.T, dir string, bs int64) int {
			appendFile(t, lastSegment(t, dir), bytes.Repeat([]byte{0xAB}, 300))
			return n
		}, false},
		{"zeros appended", func(t *testing.T, dir string, bs int64) int {
			appendFile(t, lastSegment(t, dir), make([]byte, 4096))
			return n
		}, false},
		{"flipped byte", func(t *testing.T, dir string, bs int64) int {
			flipByte(t, lastSegment(t, dir), 25*bs+70)
			return 25
		}, false},
		{"flipped offset", func(t *testing.T, dir string, bs int64) int {
			flipByte(t, lastSegment(t, dir), 33*bs+7) // baseOffset is outside the CRC
			return 33
		}, false},
		{"index missing", func(t *testing.T, dir string, bs int64) int {
			removeGlob(t, dir, "*"+indexSuffix)
			removeGlob(t, dir, "*"+timeIndexSuffix)
			return n
		}, false},
		{"index garbage", func(t *testing.T, dir string, bs int64) int {
			writeGlob(t, dir, "*"+indexSuffix, bytes.Repeat([]byte{0xFF}, 21))
			writeGlob(t, dir, "*"+timeIndexSuffix, []byte{1, 2, 3})
			return n
		}, false},
		{"clean, index missing", func(t *testing.T, dir string, bs int64) int {
			removeGlob(t, dir, "*"+indexSuffix)
			return n
		}, true},
		{"clean, index past end", func(t *testing.T, dir string, bs int64) int {
			writeGlob(t, dir, "*"+indexSuffix, appendOffsetEntry(appendOffsetEntry(nil, 1, 100), 500, 1<<30))
			return n
		}, true},
		{"clean, torn tail despite marker", func(t *testing.T, dir string, bs int64) int {
			truncate(t, lastSegment(t, dir), 10*bs+3)
			return 10
		}, true},
		{"checkpoint garbage", func(t *testing.T, dir string, bs int64) int {
			os.WriteFile(filepath.Join(dir, checkpointFile), []byte("junk"), 0o644)
			truncate(t, lastSegment(t, dir), 20*bs+1)
			return 20
		}, false},
		{"zero-length segment", func(t *testing.T, dir string, bs int64) int {
			truncate(t, lastSegment(t, dir), 0)
			return 0
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{IndexIntervalBytes: 256}
			l := openLog(t, dir, cfg, nil)
			batches := fillLog(t, l, n)
			bs := int64(len(batches[0]))
			if tc.clean {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				crash(l)
			}
			keep := tc.damage(t, dir, bs)

			l = openLog(t, dir, cfg, nil)
			want := concat(batches[:keep]...)
			if l.EndOffset() != int64(3*keep) {
				t.Fatalf("end offset %d, want %d", l.EndOffset(), 3*keep)
			}
			if got := readAll(t, l, 0); !bytes.Equal(got, want) {
				t.Fatalf("recovered data differs: %d bytes, want %d", len(got), len(want))
			}
			for off := int64(0); off < l.EndOffset(); off += 2 {
				got, err := l.Read(off, 0, nil)
				if err != nil || !bytes.Equal(got, batches[off/3]) {
					t.Fatalf("Read(%d) after recovery: %v", off, err)
				}
			}
			// The log keeps working where it was cut, and a clean
			// reopen finds the same.
			b := buildBatch(t, plain(2))
			if res := mustAppend(t, l, b); res.BaseOffset != int64(3*keep) {
				t.Fatalf("append after recovery at %d, want %d", res.BaseOffset, 3*keep)
			}
			want = append(want, stored(b, int64(3*keep))...)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if sz := fileSize(t, lastSegment(t, dir)); sz != int64(len(want)) {
				t.Fatalf("segment file %d bytes, want %d", sz, len(want))
			}
			l = openLog(t, dir, cfg, nil)
			defer l.Close()
			if got := readAll(t, l, 0); !bytes.Equal(got, want) {
				t.Fatal("data differs after clean reopen")
			}
		})
	}
}

// A torn segment in the middle cuts the log there and drops later segments.
func TestRecoveryDropsLaterSegments(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 2000, IndexIntervalBytes: 200}
	l := openLog(t, dir, cfg, nil)
	batches := fillLog(t, l, 60)
	bs := int64(len(batches[0]))
	crash(l)
	// Nothing was ever synced, so every segment is rescanned.
	segs := segFiles(t, dir, logSuffix)
	if len(segs) < 4 {
		t.Fatalf("want several segments, have %d", len(segs))
	}
	perSeg := int(fileSize(t, segs[0]) / bs)
	flipByte(t, segs[1], bs+80) // second batch of the second segment
	keep := perSeg + 1
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	if l.EndOffset() != int64(3*keep) {
		t.Fatalf("end %d, want %d", l.EndOffset(), 3*keep)
	}
	if got := len(segFiles(t, dir, logSuffix)); got != 2 {
		t.Fatalf("%d segments left, want 2", got)
	}
	if got := readAll(t, l, 0); !bytes.Equal(got, concat(batches[:keep]...)) {
		t.Fatal("data differs")
	}
}

// Rolled segments synced before a crash are trusted; their damaged index
// files are rebuilt lazily on first read.
func TestLazyIndexRebuild(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 2000, IndexIntervalBytes: 200}
	l := openLog(t, dir, cfg, nil)
	batches := fillLog(t, l, 60)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	idx := segFiles(t, dir, indexSuffix)
	os.Remove(idx[0])
	os.WriteFile(idx[1], []byte{0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 0o644) // decreasing
	tidx := segFiles(t, dir, timeIndexSuffix)
	os.WriteFile(tidx[2], nil, 0o644)
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	for off := int64(0); off < l.EndOffset(); off++ {
		got, err := l.Read(off, 0, nil)
		if err != nil || !bytes.Equal(got, batches[off/3]) {
			t.Fatalf("Read(%d): %v", off, err)
		}
	}
	if ts, off, err := l.MaxTimestamp(); err != nil || ts != 1000+59+2 || off != 59*3+2 {
		t.Fatalf("MaxTimestamp = %d, %d, %v", ts, off, err)
	}
	if off, ts, err := l.OffsetForTimestamp(1010); err != nil || off != 8*3+2 || ts != 1010 {
		t.Fatalf("OffsetForTimestamp = %d, %d, %v", off, ts, err)
	}
}

// Recovery resumes from the checkpoint: data synced before it is not
// rescanned, and what follows is.
func TestRecoveryFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{IndexIntervalBytes: 200}
	l := openLog(t, dir, cfg, nil)
	batches := fillLog(t, l, 20)
	if err := l.SyncTo(l.EndOffset()); err != nil {
		t.Fatal(err)
	}
	cp := readCheckpoint(dir)
	if cp == nil || cp.next != 60 {
		t.Fatalf("checkpoint %+v", cp)
	}
	batches = append(batches, fillLog(t, l, 10)...)
	crash(l)
	bs := int64(len(batches[0]))
	truncate(t, lastSegment(t, dir), 25*bs+10)
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	if l.EndOffset() != 75 {
		t.Fatalf("end %d, want 75", l.EndOffset())
	}
	if got := readAll(t, l, 0); !bytes.Equal(got, concat(batches[:25]...)) {
		t.Fatal("data differs")
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string, pos int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[pos] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeGlob(t *testing.T, dir, pattern string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, p := range m {
		os.Remove(p)
	}
}

func writeGlob(t *testing.T, dir, pattern string, data []byte) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, p := range m {
		os.WriteFile(p, data, 0o644)
	}
}

// A checkpoint whose segment was deleted by DeleteRecordsBefore still seeds
// the producer state; every surviving segment is rescanned.
func TestRecoveryCheckpointSegmentDeleted(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 600}
	l := openLog(t, dir, cfg, nil)
	mustAppend(t, l, buildBatch(t, idem(8, 0, 0, 1)))
	if err := l.SyncTo(l.EndOffset()); err != nil {
		t.Fatal(err)
	}
	var seq int32 = 1
	for range 20 {
		mustAppend(t, l, buildBatch(t, idem(8, 0, seq, 1)))
		seq++
	}
	if _, err := l.DeleteRecordsBefore(10); err != nil {
		t.Fatal(err)
	}
	if cp := readCheckpoint(dir); cp == nil || cp.segBase != 0 {
		t.Fatalf("checkpoint %+v", cp)
	}
	if _, err := os.Stat(filepath.Join(dir, segmentName(0, logSuffix))); !os.IsNotExist(err) {
		t.Fatalf("first segment still there: %v", err)
	}
	want := readAll(t, l, 10)
	crash(l)
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	if l.StartOffset() != 10 || l.EndOffset() != 21 {
		t.Fatalf("start %d end %d", l.StartOffset(), l.EndOffset())
	}
	if got := readAll(t, l, 10); !bytes.Equal(got, want) {
		t.Fatal("data differs")
	}
	if res, err := l.Append(buildBatch(t, idem(8, 0, seq-1, 1))); err != nil || !res.Duplicate || res.BaseOffset != 20 {
		t.Fatalf("retry after recovery: %+v %v", res, err)
	}
}
