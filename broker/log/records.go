package log

import (
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Record-level decoding. The append path never decodes records except for
// compacted logs (keys are mandatory there); the cleaner decodes every
// record it copies. Both use parseRecord, which slices the record in place
// and allocates nothing.

// attrDeleteHorizon is batch attribute bit 6 (KIP-534): baseTimestamp holds
// the delete horizon, the time after which the batch's tombstones may be
// removed by the cleaner. Record timestamp deltas stay relative to
// baseTimestamp, so record timestamps read the same either way.
const attrDeleteHorizon = 0x40

// record is one record of a v2 batch, sliced out of the (decompressed)
// records section.
type record struct {
	raw        []byte // the whole record, length prefix included
	bodyStart  int    // index in raw of the attributes byte
	tsEnd      int    // index in raw just past the timestamp delta
	tsDelta    int64
	offDelta   int64
	key        []byte // nil when the key is null
	nullKey    bool
	nullValue  bool // a tombstone
	valueStart int  // index in raw of the value length
}

// varintAt decodes the zigzag varint (Kafka's varint or varlong) at b[i:],
// returning the value and the index after it.
func varintAt(b []byte, i int) (int64, int, bool) {
	var x uint64
	var s uint
	for n := 0; n < 10; n++ {
		if i >= len(b) {
			return 0, i, false
		}
		c := b[i]
		i++
		if c < 0x80 {
			x |= uint64(c) << s
			return int64(x>>1) ^ -int64(x&1), i, true
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, i, false
}

// parseRecord decodes the record at the start of recs and returns it with
// the rest of recs. Headers are not decoded: they stay inside raw.
func parseRecord(recs []byte) (r record, rest []byte, err error) {
	length, i, ok := varintAt(recs, 0)
	if !ok || length < 1 || int64(len(recs)-i) < length {
		return r, nil, fmt.Errorf("%w: bad record length", ErrCorruptBatch)
	}
	end := i + int(length)
	r.raw, rest = recs[:end], recs[end:]
	b := r.raw
	r.bodyStart = i
	i++ // attributes
	if r.tsDelta, i, ok = varintAt(b, i); !ok {
		return r, nil, fmt.Errorf("%w: bad record timestamp", ErrCorruptBatch)
	}
	r.tsEnd = i
	if r.offDelta, i, ok = varintAt(b, i); !ok {
		return r, nil, fmt.Errorf("%w: bad record offset delta", ErrCorruptBatch)
	}
	keyLen, i, ok := varintAt(b, i)
	switch {
	case !ok || keyLen < -1 || int64(len(b)-i) < keyLen:
		return r, nil, fmt.Errorf("%w: bad record key", ErrCorruptBatch)
	case keyLen < 0:
		r.nullKey = true
	default:
		r.key = b[i : i+int(keyLen)]
		i += int(keyLen)
	}
	r.valueStart = i
	valLen, i, ok := varintAt(b, i)
	if !ok || valLen < -1 || int64(len(b)-i) < valLen {
		return r, nil, fmt.Errorf("%w: bad record value", ErrCorruptBatch)
	}
	r.nullValue = valLen < 0
	return r, rest, nil
}

// batchRecords returns the records section of batch b, decompressed into
// a slice from dec if the batch is compressed.
func batchRecords(b []byte, dec kgo.Decompressor) ([]byte, error) {
	recs := b[batchHeaderSize:]
	if codec := batchAttributes(b) & attrCodecMask; codec != 0 {
		out, err := dec.Decompress(recs, kgo.CompressionCodecType(codec))
		if err != nil {
			return nil, fmt.Errorf("%w: decompress (codec %d): %v", ErrCorruptBatch, codec, err)
		}
		return out, nil
	}
	return recs, nil
}

// checkKeys verifies that every record of batch b has a key, as a compacted
// log requires (Kafka answers INVALID_RECORD otherwise). It also checks the
// record framing against recordCount.
func checkKeys(b []byte) error {
	recs, err := batchRecords(b, decompressor)
	if err != nil {
		return err
	}
	for i := range batchRecordCount(b) {
		var r record
		if r, recs, err = parseRecord(recs); err != nil {
			return err
		}
		if r.nullKey {
			return fmt.Errorf("%w: record %d has no key, which a compacted topic requires", ErrInvalidRecord, i)
		}
	}
	if len(recs) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record", ErrCorruptBatch, len(recs))
	}
	return nil
}

// checkStoredBatch validates a batch read back from a segment: the framing
// and CRC checks of checkBatch, but allowing the shapes compaction leaves
// (fewer records than lastOffsetDelta+1, down to an empty batch that keeps
// only its offset range and producer sequence).
func checkStoredBatch(b []byte) (int, error) {
	size, err := batchSize(b)
	if err != nil {
		return 0, err
	}
	if size > len(b) || size < batchHeaderSize {
		return 0, fmt.Errorf("%w: batchLength says %d bytes, only %d present", ErrCorruptBatch, size, len(b))
	}
	if m := int8(b[offMagic]); m != 2 {
		return 0, fmt.Errorf("%w: magic %d, only 2 is supported", ErrCorruptBatch, m)
	}
	if want, got := be.Uint32(b[offCRC:]), crc32.Checksum(b[offAttributes:size], castagnoli); want != got {
		return 0, fmt.Errorf("%w: CRC-32C %08x, computed %08x", ErrCorruptBatch, want, got)
	}
	count := int64(batchRecordCount(b))
	delta := batchLastOffsetDelta(b)
	if delta < 0 || count < 0 || count > delta+1 {
		return 0, fmt.Errorf("%w: lastOffsetDelta %d with recordCount %d", ErrCorruptBatch, delta, count)
	}
	return size, nil
}
