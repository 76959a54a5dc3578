package log

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestAppendReadBack(t *testing.T) {
	l := openLog(t, t.TempDir(), Config{}, nil)
	defer l.Close()

	reqs := [][][]byte{
		{buildBatch(t, plain(3))},
		{buildBatch(t, plain(1)), buildBatch(t, plain(5)), buildBatch(t, plain(2))},
		{buildBatch(t, batchSpec{records: 4, valueSize: 100, baseTs: 5, tsStep: 2, pid: noPID, seq: -1, gzip: true})},
	}
	var want []byte
	var next int64
	for i, req := range reqs {
		res := mustAppend(t, l, concat(req...))
		if res.BaseOffset != next || res.Duplicate || res.LogAppendTime != -1 || res.LogStartOffset != 0 {
			t.Fatalf("request %d: result %+v, want base %d", i, res, next)
		}
		for _, b := range req {
			want = append(want, stored(b, next)...)
			next += batchLastOffsetDelta(b) + 1
		}
		if res.EndOffset != next || l.EndOffset() != next {
			t.Fatalf("request %d: end %d/%d, want %d", i, res.EndOffset, l.EndOffset(), next)
		}
	}
	got, err := l.Read(0, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d identical bytes", len(got), len(want))
	}
	if l.Size() != int64(len(want)) {
		t.Fatalf("Size %d, want %d", l.Size(), len(want))
	}
	for _, b := range splitBatches(t, got) {
		if _, err := checkBatch(b); err != nil {
			t.Fatalf("stored batch fails validation: %v", err)
		}
	}
	// dst is appended to, not overwritten.
	prefix := []byte("prefix")
	got2, err := l.Read(0, 1<<20, bytes.Clone(prefix))
	if err != nil || !bytes.Equal(got2, append(prefix, want...)) {
		t.Fatalf("Read with dst prefix: err %v, equal %v", err, bytes.Equal(got2, append(prefix, want...)))
	}
}

func TestReadPositions(t *testing.T) {
	l := openLog(t, t.TempDir(), Config{IndexIntervalBytes: 100}, nil)
	defer l.Close()
	var batches [][]byte
	var next int64
	for i := range 50 {
		b := buildBatch(t, plain(1+i%4))
		mustAppend(t, l, b)
		batches = append(batches, stored(b, next))
		next += int64(1 + i%4)
	}
	first := batches[0]
	tests := []struct {
		name     string
		offset   int64
		maxBytes int
		want     []byte
	}{
		{"start of log", 0, len(first), first},
		{"middle of first batch", 0, 1, first},
		{"max bytes zero still one batch", 0, 0, first},
		{"middle of a batch", 2, len(batches[1]), batches[1]}, // batch 1 holds offsets 1-2
		{"two whole batches", 1, len(batches[1]) + len(batches[2]) + 5, concat(batches[1], batches[2])},
		{"last offset", next - 1, 1 << 20, batches[49]},
		{"everything", 0, 1 << 20, concat(batches...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.Read(tc.offset, tc.maxBytes, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes (%d batches), want %d bytes", len(got), len(splitBatches(t, got)), len(tc.want))
			}
		})
	}
	// Every offset lands in the batch holding it.
	for off := int64(0); off < next; off++ {
		got, err := l.Read(off, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b := batchBaseOffset(got); b > off || b+batchLastOffsetDelta(got) < off || len(splitBatches(t, got)) != 1 {
			t.Fatalf("Read(%d) returned batch %d..%d", off, b, b+batchLastOffsetDelta(got))
		}
	}
}

func TestReadRange(t *testing.T) {
	l := openLog(t, t.TempDir(), Config{}, nil)
	defer l.Close()
	if got, err := l.Read(0, 100, nil); err != nil || len(got) != 0 {
		t.Fatalf("read empty log at 0: %d bytes, %v", len(got), err)
	}
	mustAppend(t, l, buildBatch(t, plain(3)))
	for _, tc := range []struct {
		offset  int64
		wantErr error
		empty   bool
	}{
		{-1, ErrOffsetOutOfRange, true},
		{0, nil, false},
		{2, nil, false},
		{3, nil, true},
		{4, ErrOffsetOutOfRange, true},
	} {
		got, err := l.Read(tc.offset, 100, nil)
		if !errors.Is(err, tc.wantErr) || (len(got) == 0) != tc.empty {
			t.Errorf("Read(%d): %d bytes, err %v; want err %v, empty %v", tc.offset, len(got), err, tc.wantErr, tc.empty)
		}
	}
}

func TestRoll(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		advance   time.Duration
		wantSegs  int
		batchSize int
	}{
		{"by bytes", Config{SegmentBytes: 1000}, 0, 0, 0},
		{"by time", Config{SegmentMs: 60_000}, 61 * time.Second, 10, 0},
		{"not by time when young", Config{SegmentMs: 60_000}, time.Second, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			l := openLog(t, dir, tc.cfg, clock)
			var all []byte
			var next int64
			for range 10 {
				b := buildBatch(t, plain(3))
				mustAppend(t, l, b)
				all = append(all, stored(b, next)...)
				next += 3
				clock.Advance(tc.advance)
			}
			segs := segFiles(t, dir, logSuffix)
			want := tc.wantSegs
			if want == 0 {
				per := int(1000 / len(buildBatch(t, plain(3))))
				want = (10 + per - 1) / per
			}
			if len(segs) != want {
				t.Fatalf("%d segments, want %d", len(segs), want)
			}
			for _, p := range segs {
				if tc.cfg.SegmentBytes > 0 && fileSize(t, p) > tc.cfg.SegmentBytes {
					t.Fatalf("segment %s is %d bytes, over %d", p, fileSize(t, p), tc.cfg.SegmentBytes)
				}
			}
			if got := readAll(t, l, 0); !bytes.Equal(got, all) {
				t.Fatalf("read across segments differs")
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = openLog(t, dir, tc.cfg, clock)
			defer l.Close()
			if got := readAll(t, l, 0); !bytes.Equal(got, all) || l.EndOffset() != next {
				t.Fatalf("after reopen: end %d, equal %v", l.EndOffset(), bytes.Equal(got, all))
			}
		})
	}
}

func TestIndexAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 20_000, IndexIntervalBytes: 512}
	l := openLog(t, dir, cfg, nil)
	want := map[int64][]byte{} // first offset -> stored batch
	var next int64
	for i := range 300 {
		n := 1 + i%7
		b := buildBatch(t, batchSpec{records: n, valueSize: 20 + i%50, baseTs: int64(i), tsStep: 1, pid: noPID, seq: -1})
		mustAppend(t, l, b)
		for o := next; o < next+int64(n); o++ {
			want[o] = stored(b, next)
		}
		next += int64(n)
	}
	check := func(l *Log) {
		t.Helper()
		if n := len(segFiles(t, dir, logSuffix)); n < 5 {
			t.Fatalf("only %d segments", n)
		}
		for off := int64(0); off < next; off++ {
			got, err := l.Read(off, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want[off]) {
				t.Fatalf("Read(%d): wrong batch (base %d)", off, batchBaseOffset(got))
			}
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened, older segments are loaded lazily from their index files.
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	check(l)
}

func TestReopenClean(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Config{IndexIntervalBytes: 64}, nil)
	var all []byte
	var next int64
	for range 20 {
		b := buildBatch(t, plain(2))
		mustAppend(t, l, b)
		all = append(all, stored(b, next)...)
		next += 2
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := l.Append(buildBatch(t, plain(1))); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if _, err := l.Read(0, 10, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	l = openLog(t, dir, Config{IndexIntervalBytes: 64}, nil)
	if l.EndOffset() != next || l.StartOffset() != 0 || l.Size() != int64(len(all)) {
		t.Fatalf("reopened: start %d end %d size %d", l.StartOffset(), l.EndOffset(), l.Size())
	}
	if got := readAll(t, l, 0); !bytes.Equal(got, all) {
		t.Fatal("data differs after reopen")
	}
	b := buildBatch(t, plain(2))
	if res := mustAppend(t, l, b); res.BaseOffset != next {
		t.Fatalf("append after reopen got base %d, want %d", res.BaseOffset, next)
	}
	all = append(all, stored(b, next)...)
	l.Close()
	l = openLog(t, dir, Config{IndexIntervalBytes: 64}, nil)
	defer l.Close()
	if got := readAll(t, l, 0); !bytes.Equal(got, all) {
		t.Fatal("data differs after second reopen")
	}
}

func TestDeleteRecordsBefore(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentBytes: 500}
	l := openLog(t, dir, cfg, nil)
	for range 20 {
		mustAppend(t, l, buildBatch(t, plain(2)))
	}
	segsBefore := len(segFiles(t, dir, logSuffix))
	if _, err := l.DeleteRecordsBefore(41); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("delete beyond end: %v", err)
	}
	start, err := l.DeleteRecordsBefore(15)
	if err != nil || start != 15 || l.StartOffset() != 15 {
		t.Fatalf("DeleteRecordsBefore(15) = %d, %v", start, err)
	}
	if start, _ := l.DeleteRecordsBefore(3); start != 15 {
		t.Fatalf("moving start back: %d", start)
	}
	if n := len(segFiles(t, dir, logSuffix)); n >= segsBefore {
		t.Fatalf("segments %d -> %d, want fewer", segsBefore, n)
	}
	if _, err := l.Read(14, 100, nil); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below start: %v", err)
	}
	got, err := l.Read(15, 0, nil)
	if err != nil || batchBaseOffset(got) != 14 { // batch 14-15
		t.Fatalf("read at start: base %d, %v", batchBaseOffset(got), err)
	}
	res := mustAppend(t, l, buildBatch(t, plain(1)))
	if res.LogStartOffset != 15 {
		t.Fatalf("append result start %d", res.LogStartOffset)
	}
	l.Close()

	l = openLog(t, dir, cfg, nil)
	if l.StartOffset() != 15 || l.EndOffset() != 41 {
		t.Fatalf("reopened: start %d, end %d", l.StartOffset(), l.EndOffset())
	}
	// Delete everything: the active segment is rolled away too.
	if start, err := l.DeleteRecordsBefore(41); err != nil || start != 41 {
		t.Fatalf("delete all: %d, %v", start, err)
	}
	if l.Size() != 0 {
		t.Fatalf("size after deleting all: %d", l.Size())
	}
	if got, err := l.Read(41, 100, nil); err != nil || len(got) != 0 {
		t.Fatalf("read at end of emptied log: %d bytes, %v", len(got), err)
	}
	crash(l) // the start offset must not depend on a clean shutdown
	l = openLog(t, dir, cfg, nil)
	defer l.Close()
	if l.StartOffset() != 41 || l.EndOffset() != 41 {
		t.Fatalf("after crash: start %d end %d", l.StartOffset(), l.EndOffset())
	}
	if res := mustAppend(t, l, buildBatch(t, plain(1))); res.BaseOffset != 41 {
		t.Fatalf("append after delete-all: base %d", res.BaseOffset)
	}
}

func TestLogAppendTime(t *testing.T) {
	clock := newClock()
	l := openLog(t, t.TempDir(), Config{LogAppendTime: true}, clock)
	defer l.Close()
	b := buildBatch(t, plain(3))
	res := mustAppend(t, l, b)
	now := clock.Now().UnixMilli()
	if res.LogAppendTime != now {
		t.Fatalf("LogAppendTime %d, want %d", res.LogAppendTime, now)
	}
	got, _ := l.Read(0, 1000, nil)
	if _, err := checkBatch(got); err != nil {
		t.Fatalf("stamped batch invalid: %v", err)
	}
	if batchMaxTimestamp(got) != now || batchAttributes(got)&attrLogAppendTime == 0 {
		t.Fatalf("batch not stamped: max %d attrs %x", batchMaxTimestamp(got), batchAttributes(got))
	}
	off, ts, err := l.OffsetForTimestamp(now)
	if err != nil || off != 0 || ts != now {
		t.Fatalf("OffsetForTimestamp = %d, %d, %v", off, ts, err)
	}
}

func TestWait(t *testing.T) {
	l := openLog(t, t.TempDir(), Config{}, nil)
	ch := l.Wait()
	select {
	case <-ch:
		t.Fatal("closed before any append")
	default:
	}
	if ch2 := l.Wait(); ch2 != ch {
		t.Fatal("Wait returned different channels without an append")
	}
	mustAppend(t, l, buildBatch(t, plain(1)))
	<-ch
	ch = l.Wait()
	l.Close()
	<-ch
	<-l.Wait()
}

func TestSyncTo(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Config{SegmentBytes: 300}, nil)
	var res AppendResult
	for range 10 {
		res = mustAppend(t, l, buildBatch(t, plain(2)))
	}
	if err := l.SyncTo(res.EndOffset); err != nil {
		t.Fatal(err)
	}
	rounds := l.sync.rounds
	// Already durable: no new fsync.
	if err := l.SyncTo(res.EndOffset - 5); err != nil || l.sync.rounds != rounds {
		t.Fatalf("SyncTo below synced: err %v, rounds %d -> %d", err, rounds, l.sync.rounds)
	}
	l.mu.Lock()
	unsynced := len(l.unsynced)
	l.mu.Unlock()
	if unsynced != 0 {
		t.Fatalf("%d rolled segments left unsynced", unsynced)
	}
	// Synced data survives a crash.
	crash(l)
	l = openLog(t, dir, Config{SegmentBytes: 300}, nil)
	defer l.Close()
	if l.EndOffset() != res.EndOffset {
		t.Fatalf("end after crash %d, want %d", l.EndOffset(), res.EndOffset)
	}
}

func TestSetConfig(t *testing.T) {
	l := openLog(t, t.TempDir(), Config{}, nil)
	defer l.Close()
	b := buildBatch(t, plain(50))
	mustAppend(t, l, b)
	l.SetConfig(Config{MaxMessageBytes: 100})
	if _, err := l.Append(bytes.Clone(b)); !errors.Is(err, ErrBatchTooLarge) {
		t.Fatalf("after lowering max.message.bytes: %v", err)
	}
}

func TestDelete(t *testing.T) {
	dir := t.TempDir() + "/p-0"
	l := openLog(t, dir, Config{}, nil)
	mustAppend(t, l, buildBatch(t, plain(1)))
	if err := l.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Read(0, 1, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after delete: %v", err)
	}
	if len(segFiles(t, dir, "")) != 0 {
		t.Fatal("directory not removed")
	}
}
