package log

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// batchSpec describes a test record batch.
type batchSpec struct {
	records   int
	valueSize int
	baseTs    int64
	tsStep    int64 // timestamp delta between consecutive records
	tsDeltas  []int64
	pid       int64 // producer id; use noPID for none
	epoch     int16
	seq       int32
	gzip      bool
	attrs     int16
}

const noPID = -1

// plain returns a batch spec without producer id.
func plain(records int) batchSpec {
	return batchSpec{records: records, valueSize: 10, baseTs: 1000, tsStep: 1, pid: noPID, seq: -1}
}

func idem(pid int64, epoch int16, seq int32, records int) batchSpec {
	return batchSpec{records: records, valueSize: 10, baseTs: 1000, tsStep: 1, pid: pid, epoch: epoch, seq: seq}
}

// buildBatch encodes a v2 batch with kmsg and a correct CRC-32C. Values are
// filled with a pattern that makes every batch distinct.
func buildBatch(tb testing.TB, s batchSpec) []byte {
	tb.Helper()
	var recs []byte
	maxTs := s.baseTs
	for i := range s.records {
		d := int64(i) * s.tsStep
		if s.tsDeltas != nil {
			d = s.tsDeltas[i]
		}
		maxTs = max(maxTs, s.baseTs+d)
		val := make([]byte, s.valueSize)
		for j := range val {
			val[j] = byte(i + j + int(s.baseTs))
		}
		r := kmsg.Record{TimestampDelta64: d, OffsetDelta: int32(i), Key: []byte(fmt.Sprintf("k%d", i)), Value: val}
		r.Length = int32(len(r.AppendTo(nil)) - 1)
		recs = r.AppendTo(recs)
	}
	attrs := s.attrs
	if s.gzip {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(recs)
		w.Close()
		recs = buf.Bytes()
		attrs |= 1
	}
	b := kmsg.RecordBatch{
		FirstOffset:          0,
		Length:               int32(batchHeaderSize - batchLogOverhead + len(recs)),
		PartitionLeaderEpoch: -1,
		Magic:                2,
		Attributes:           attrs,
		LastOffsetDelta:      int32(s.records - 1),
		FirstTimestamp:       s.baseTs,
		MaxTimestamp:         maxTs,
		ProducerID:           s.pid,
		ProducerEpoch:        s.epoch,
		FirstSequence:        s.seq,
		NumRecords:           int32(s.records),
		Records:              recs,
	}
	out := b.AppendTo(nil)
	fixCRC(out)
	return out
}

func fixCRC(b []byte) {
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
}

// stored returns what the log should hold for batch b appended at offset.
func stored(b []byte, offset int64) []byte {
	c := bytes.Clone(b)
	be.PutUint64(c[offBaseOffset:], uint64(offset))
	be.PutUint32(c[offLeaderEpoch:], 0)
	return c
}

func concat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// testClock is an injectable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openLog(tb testing.TB, dir string, cfg Config, clock *testClock) *Log {
	tb.Helper()
	opts := Options{Logger: quietLogger()}
	if clock != nil {
		opts.Now = clock.Now
	}
	l, err := Open(dir, cfg, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return l
}

func mustAppend(tb testing.TB, l *Log, records []byte) AppendResult {
	tb.Helper()
	r, err := l.Append(bytes.Clone(records))
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	return r
}

// readAll reads the whole log from offset from with a generous maxBytes per
// call and returns the batches.
func readAll(tb testing.TB, l *Log, from int64) []byte {
	tb.Helper()
	var out []byte
	for off := from; off < l.EndOffset(); {
		n := len(out)
		var err error
		out, err = l.Read(off, 1<<20, out)
		if err != nil {
			tb.Fatalf("Read(%d): %v", off, err)
		}
		if len(out) == n {
			tb.Fatalf("Read(%d) returned nothing below end %d", off, l.EndOffset())
		}
		last := lastBatchEnd(out[n:])
		off = last + 1
	}
	return out
}

// lastBatchEnd returns the last offset of the last batch in b.
func lastBatchEnd(b []byte) int64 {
	var last int64 = -1
	for len(b) > 0 {
		size, _ := batchSize(b)
		last = batchBaseOffset(b) + batchLastOffsetDelta(b)
		b = b[size:]
	}
	return last
}

// splitBatches returns the batches of b.
func splitBatches(tb testing.TB, b []byte) [][]byte {
	tb.Helper()
	var out [][]byte
	for len(b) > 0 {
		size, err := batchSize(b)
		if err != nil || size > len(b) {
			tb.Fatalf("bad framing in read result: %v", err)
		}
		out = append(out, b[:size])
		b = b[size:]
	}
	return out
}

// crash abandons a log as a killed process would: nothing more is synced
// or flushed, no checkpoint or clean marker is written.
func crash(l *Log) {
	l.mu.Lock()
	l.closed = true
	segs := l.segs
	l.segs = nil
	l.mu.Unlock()
	for _, s := range segs {
		s.release()
	}
}

func segFiles(tb testing.TB, dir, suffix string) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}
