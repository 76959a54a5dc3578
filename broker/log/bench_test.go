package log

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchRequest builds a produce request of about total bytes made of batches
// of about batchBytes, each holding 100-byte records.
func benchRequest(tb testing.TB, total, batchBytes int) []byte {
	perRecord := len(buildBatch(tb, batchSpec{records: 2, valueSize: 100, pid: noPID, seq: -1})) -
		len(buildBatch(tb, batchSpec{records: 1, valueSize: 100, pid: noPID, seq: -1}))
	n := max(1, (batchBytes-batchHeaderSize)/perRecord)
	b := buildBatch(tb, batchSpec{records: n, valueSize: 100, baseTs: 1, tsStep: 1, pid: noPID, seq: -1})
	for len(b) > batchBytes && n > 1 {
		n--
		b = buildBatch(tb, batchSpec{records: n, valueSize: 100, baseTs: 1, tsStep: 1, pid: noPID, seq: -1})
	}
	req := b
	for len(req)+len(b) <= total {
		req = append(req, b...)
	}
	return req
}

// benchLog opens a log that drops old segments as the benchmark goes so disk
// use stays bounded.
func benchLog(b *testing.B) *Log {
	b.Helper()
	l, err := Open(b.TempDir(), Config{SegmentBytes: 128 << 20, MaxMessageBytes: 2 << 20}, Options{Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

func trim(b *testing.B, l *Log) {
	if l.Size() > 512<<20 {
		b.StopTimer()
		if _, err := l.DeleteRecordsBefore(l.EndOffset()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

var appendCases = []struct {
	name       string
	batchBytes int
}{
	{"16KB-batches", 16 << 10},
	{"1MB-batch", 1_000_000},
}

// BenchmarkAppend appends 1 MB produce requests of 100-byte records.
func BenchmarkAppend(b *testing.B) {
	for _, c := range appendCases {
		b.Run(c.name, func(b *testing.B) {
			req := benchRequest(b, 1_000_000, c.batchBytes)
			l := benchLog(b)
			records := int64(0)
			b.SetBytes(int64(len(req)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				res, err := l.Append(req)
				if err != nil {
					b.Fatal(err)
				}
				records = res.EndOffset
				trim(b, l)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
		})
	}
}

// BenchmarkAppendSync appends and waits for fsync (acks=all), one caller and
// many concurrent callers sharing group commits.
func BenchmarkAppendSync(b *testing.B) {
	b.Run("serial-1MB", func(b *testing.B) {
		req := benchRequest(b, 1_000_000, 16<<10)
		l := benchLog(b)
		b.SetBytes(int64(len(req)))
		b.ReportAllocs()
		for b.Loop() {
			res, err := l.Append(req)
			if err != nil {
				b.Fatal(err)
			}
			if err := l.SyncTo(res.EndOffset); err != nil {
				b.Fatal(err)
			}
			trim(b, l)
		}
	})
	b.Run("parallel-16KB", func(b *testing.B) {
		l := benchLog(b)
		b.SetBytes(16 << 10)
		b.ReportAllocs()
		b.SetParallelism(16)
		rounds := l.sync.rounds
		b.RunParallel(func(pb *testing.PB) {
			req := benchRequest(b, 16<<10, 16<<10)
			for pb.Next() {
				res, err := l.Append(req)
				if err != nil {
					b.Error(err)
					return
				}
				if err := l.SyncTo(res.EndOffset); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/float64(l.sync.rounds-rounds), "appends/fsync")
	})
}

// BenchmarkRead reads 1 MB at random offsets of a 256 MB log of 16 KB
// batches.
func BenchmarkRead(b *testing.B) {
	l := benchLog(b)
	req := benchRequest(b, 1_000_000, 16<<10)
	total := 256 << 20
	if testing.Short() {
		total = 32 << 20
	}
	for l.Size() < int64(total) {
		if _, err := l.Append(req); err != nil {
			b.Fatal(err)
		}
	}
	end := l.EndOffset()
	buf := make([]byte, 0, 2<<20)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		i = (i*7919 + 104729) % end
		var err error
		buf, err = l.Read(i, 1<<20, buf[:0])
		if err != nil || len(buf) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenLarge measures Open of a log of many segments: after a clean
// shutdown, and after a crash with 16 MB appended since the last
// checkpoint. The size is 1 GB (128 MB with -short), or CONFLUX_OPEN_GB.
func BenchmarkOpenLarge(b *testing.B) {
	total := int64(1 << 30)
	if testing.Short() {
		total = 128 << 20
	}
	if gb, err := strconv.ParseFloat(os.Getenv("CONFLUX_OPEN_GB"), 64); err == nil {
		total = int64(gb * (1 << 30))
	}
	dir := b.TempDir()
	cfg := Config{SegmentBytes: 16 << 20}
	l, err := Open(dir, cfg, Options{Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	req := benchRequest(b, 1_000_000, 16<<10)
	for l.Size() < total-16<<20 {
		if _, err := l.Append(req); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.SyncTo(l.EndOffset()); err != nil {
		b.Fatal(err)
	}
	l.mu.Lock()
	l.lastCP = l.lastCP.Add(-checkpointInterval)
	l.mu.Unlock()
	if err := l.SyncTo(l.EndOffset()); err != nil { // force a checkpoint here
		b.Fatal(err)
	}
	cp, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if err != nil {
		b.Fatal(err)
	}
	for l.Size() < total {
		if _, err := l.Append(req); err != nil {
			b.Fatal(err)
		}
	}
	end := l.EndOffset()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(segFiles(b, dir, logSuffix))), "segments")

	b.Run("clean", func(b *testing.B) {
		for b.Loop() {
			l, err := Open(dir, cfg, Options{Logger: quietLogger()})
			if err != nil || l.EndOffset() != end {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("unclean-16MB-tail", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			os.Remove(filepath.Join(dir, cleanFile))
			if err := os.WriteFile(filepath.Join(dir, checkpointFile), cp, 0o644); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			l, err := Open(dir, cfg, Options{Logger: quietLogger()})
			if err != nil || l.EndOffset() != end {
				b.Fatalf("end %d want %d: %v", l.EndOffset(), end, err)
			}
			b.StopTimer()
			crash(l)
			b.StartTimer()
		}
	})
}
