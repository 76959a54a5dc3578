package log

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kv is a test record: nil key = keyless, nil value = tombstone.
type kv struct {
	key, value []byte
}

func kvs(pairs ...string) []kv {
	var out []kv
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, kv{key: []byte(pairs[i]), value: []byte(pairs[i+1])})
	}
	return out
}

func tombstone(key string) kv { return kv{key: []byte(key)} }

// kvSpec describes a keyed test batch.
type kvSpec struct {
	recs  []kv
	ts    int64 // timestamp of the first record; each next one is 1 ms later
	codec kgo.CompressionCodec
	pid   int64 // 0 means none (-1 on the wire)
	epoch int16
	seq   int32
}

// testCodecs are the codecs of batch attribute bits 0-2, by number.
var testCodecs = []struct {
	name  string
	id    int16
	codec kgo.CompressionCodec
}{
	{"none", 0, kgo.NoCompression()},
	{"gzip", 1, kgo.GzipCompression()},
	{"snappy", 2, kgo.SnappyCompression()},
	{"lz4", 3, kgo.Lz4Compression()},
	{"zstd", 4, kgo.ZstdCompression()},
}

// kvBatch encodes a v2 batch of keyed records with kmsg.
func kvBatch(tb testing.TB, s kvSpec) []byte {
	tb.Helper()
	var recs []byte
	for i, r := range s.recs {
		rec := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Key: r.key, Value: r.value}
		rec.Length = int32(len(rec.AppendTo(nil)) - 1)
		recs = rec.AppendTo(recs)
	}
	var attrs int16
	if c, err := kgo.DefaultCompressor(s.codec); err != nil {
		tb.Fatal(err)
	} else if c != nil {
		var buf bytes.Buffer
		out, codec := c.Compress(&buf, recs)
		recs, attrs = bytes.Clone(out), int16(codec)
	}
	pid, seq := int64(-1), int32(-1)
	if s.pid != 0 {
		pid, seq = s.pid, s.seq
	}
	b := kmsg.RecordBatch{
		Length:               int32(batchHeaderSize - batchLogOverhead + len(recs)),
		PartitionLeaderEpoch: -1,
		Magic:                2,
		Attributes:           attrs,
		LastOffsetDelta:      int32(len(s.recs) - 1),
		FirstTimestamp:       s.ts,
		MaxTimestamp:         s.ts + int64(len(s.recs)-1),
		ProducerID:           pid,
		ProducerEpoch:        s.epoch,
		FirstSequence:        seq,
		NumRecords:           int32(len(s.recs)),
		Records:              recs,
	}
	out := b.AppendTo(nil)
	fixCRC(out)
	return out
}

// gotRecord is a record read back from a log.
type gotRecord struct {
	offset    int64
	ts        int64
	key       string
	value     string
	nullKey   bool
	tombstone bool
}

func (r gotRecord) String() string {
	v := r.value
	if r.tombstone {
		v = "<tombstone>"
	}
	return fmt.Sprintf("%d:%s=%s", r.offset, r.key, v)
}

// decodeBatches decodes every record of the concatenated batches b with
// kmsg and franz-go's decompressor, checking each batch's framing and CRC.
func decodeBatches(tb testing.TB, b []byte) []gotRecord {
	tb.Helper()
	out, err := decodeBatchesErr(b)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// decodeBatchesErr is decodeBatches for goroutines other than the test's.
func decodeBatchesErr(b []byte) ([]gotRecord, error) {
	var out []gotRecord
	dec := kgo.DefaultDecompressor()
	for len(b) > 0 {
		size, err := checkStoredBatch(b)
		if err != nil {
			return nil, fmt.Errorf("stored batch at offset %d invalid: %w", batchBaseOffset(b), err)
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b[:size]); err != nil {
			return nil, err
		}
		recs, err := dec.Decompress(rb.Records, kgo.CompressionCodecType(rb.Attributes&7))
		if err != nil {
			return nil, err
		}
		for range rb.NumRecords {
			length, n := binary.Varint(recs)
			if n <= 0 || int(length) > len(recs)-n {
				return nil, fmt.Errorf("bad record length in batch %d", rb.FirstOffset)
			}
			var r kmsg.Record
			if err := r.ReadFrom(recs[:n+int(length)]); err != nil {
				return nil, err
			}
			recs = recs[n+int(length):]
			out = append(out, gotRecord{
				offset: rb.FirstOffset + int64(r.OffsetDelta), ts: rb.FirstTimestamp + r.TimestampDelta64,
				key: string(r.Key), value: string(r.Value), nullKey: r.Key == nil, tombstone: r.Value == nil,
			})
		}
		if len(recs) != 0 {
			return nil, fmt.Errorf("%d bytes after the records of batch %d", len(recs), rb.FirstOffset)
		}
		b = b[size:]
	}
	return out, nil
}

// readRecords reads and decodes the whole log from its start offset,
// checking that offsets only grow.
func readRecords(tb testing.TB, l *Log) []gotRecord {
	tb.Helper()
	var out []gotRecord
	for off := l.StartOffset(); off < l.EndOffset(); {
		b, err := l.Read(off, 1<<20, nil)
		if err != nil {
			tb.Fatalf("Read(%d): %v", off, err)
		}
		if len(b) == 0 {
			break
		}
		if last := lastBatchEnd(b); last < off {
			tb.Fatalf("Read(%d) returned batches ending at %d", off, last)
		} else {
			off = last + 1
		}
		for _, r := range decodeBatches(tb, b) {
			if len(out) > 0 && r.offset <= out[len(out)-1].offset {
				continue // the first batch of a read may start before the offset asked for
			}
			out = append(out, r)
		}
	}
	return out
}

// latest returns, for records appended in order, the latest record of each
// key (keyless records excluded).
func latest(recs []gotRecord) map[string]gotRecord {
	m := map[string]gotRecord{}
	for _, r := range recs {
		if !r.nullKey {
			m[r.key] = r
		}
	}
	return m
}

// appendKV appends a batch and returns the stored records, offsets
// assigned, as readRecords would return them.
func appendKV(tb testing.TB, l *Log, s kvSpec) []gotRecord {
	tb.Helper()
	b := kvBatch(tb, s)
	res := mustAppend(tb, l, b)
	return decodeBatches(tb, stored(b, res.BaseOffset))
}

// checkCompacted verifies that got is what compacting all (the records
// appended, in order) may leave: every record is one that was appended, at
// its offset; the latest record of every key is present, unless it is a
// tombstone that may be gone; and below activeBase, no key appears twice.
func checkCompacted(tb testing.TB, all, got []gotRecord, activeBase int64, tombstonesMayGo bool) {
	tb.Helper()
	byOffset := map[int64]gotRecord{}
	for _, r := range all {
		byOffset[r.offset] = r
	}
	seen := map[string]int64{}
	present := map[int64]bool{}
	for _, r := range got {
		want, ok := byOffset[r.offset]
		if !ok || want.key != r.key || want.value != r.value || want.tombstone != r.tombstone || want.ts != r.ts {
			tb.Fatalf("record %v (ts %d) was never appended at that offset (appended: %v, ts %d)", r, r.ts, want, want.ts)
		}
		if r.nullKey && r.offset < activeBase {
			tb.Fatalf("keyless record %v survived compaction", r)
		}
		if prev, dup := seen[r.key]; dup && r.offset < activeBase && !r.nullKey {
			tb.Fatalf("key %q at offsets %d and %d below the active segment (%d)", r.key, prev, r.offset, activeBase)
		}
		seen[r.key] = r.offset
		present[r.offset] = true
	}
	for k, r := range latest(all) {
		if !present[r.offset] && !(r.tombstone && tombstonesMayGo) {
			tb.Fatalf("latest record of key %q (%v) is missing", k, r)
		}
	}
}

// activeBase returns the base offset of the active segment.
func activeBase(l *Log) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.active.base
}

// segmentCount returns the number of segments in memory.
func segmentCount(l *Log) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.segs)
}
