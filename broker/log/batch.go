package log

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// Byte offsets of the fields of a v2 record batch header.
const (
	offBaseOffset      = 0
	offBatchLength     = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offBaseTimestamp   = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offRecordCount     = 57
	batchHeaderSize    = 61

	// batchLogOverhead is the part of a batch not counted by batchLength:
	// baseOffset and batchLength themselves.
	batchLogOverhead = 12
)

// Batch attribute bits.
const (
	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrControl       = 0x20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// be is the byte order of every integer in batches and in this package's files.
var be = binary.BigEndian

// batchSize returns the total size of the batch that starts b, read from its
// batchLength field, or an error if the field is absent or impossible. It does
// not check that b holds the whole batch.
func batchSize(b []byte) (int, error) {
	if len(b) < batchLogOverhead {
		return 0, fmt.Errorf("%w: %d trailing bytes, shorter than a batch header", ErrCorruptBatch, len(b))
	}
	n := int32(be.Uint32(b[offBatchLength:]))
	if n < batchHeaderSize-batchLogOverhead {
		return 0, fmt.Errorf("%w: batchLength %d below the %d-byte minimum", ErrCorruptBatch, n, batchHeaderSize-batchLogOverhead)
	}
	return int(n) + batchLogOverhead, nil
}

// checkBatch validates the framing of the batch that starts b and returns its
// size. It checks the header length, batchLength against len(b), the magic
// byte, the CRC-32C and that lastOffsetDelta agrees with recordCount. It looks
// at no record: the append hot path must stay per-batch.
func checkBatch(b []byte) (int, error) {
	size, err := batchSize(b)
	if err != nil {
		return 0, err
	}
	if size > len(b) {
		return 0, fmt.Errorf("%w: batchLength says %d bytes, only %d present", ErrCorruptBatch, size, len(b))
	}
	if m := int8(b[offMagic]); m != 2 {
		return 0, fmt.Errorf("%w: magic %d, only 2 is supported", ErrCorruptBatch, m)
	}
	if want, got := be.Uint32(b[offCRC:]), crc32.Checksum(b[offAttributes:size], castagnoli); want != got {
		return 0, fmt.Errorf("%w: CRC-32C %08x, computed %08x", ErrCorruptBatch, want, got)
	}
	count := int32(be.Uint32(b[offRecordCount:]))
	delta := int32(be.Uint32(b[offLastOffsetDelta:]))
	if count < 1 {
		return 0, fmt.Errorf("%w: recordCount %d", ErrInvalidRecord, count)
	}
	if delta != count-1 {
		return 0, fmt.Errorf("%w: lastOffsetDelta %d with recordCount %d", ErrInvalidRecord, delta, count)
	}
	return size, nil
}

// Header field accessors; b must hold at least batchHeaderSize bytes.

func batchBaseOffset(b []byte) int64      { return int64(be.Uint64(b[offBaseOffset:])) }
func batchLastOffsetDelta(b []byte) int64 { return int64(int32(be.Uint32(b[offLastOffsetDelta:]))) }
func batchAttributes(b []byte) int16      { return int16(be.Uint16(b[offAttributes:])) }
func batchBaseTimestamp(b []byte) int64   { return int64(be.Uint64(b[offBaseTimestamp:])) }
func batchMaxTimestamp(b []byte) int64    { return int64(be.Uint64(b[offMaxTimestamp:])) }
func batchProducerID(b []byte) int64      { return int64(be.Uint64(b[offProducerID:])) }
func batchProducerEpoch(b []byte) int16   { return int16(be.Uint16(b[offProducerEpoch:])) }
func batchBaseSequence(b []byte) int32    { return int32(be.Uint32(b[offBaseSequence:])) }
func batchRecordCount(b []byte) int32     { return int32(be.Uint32(b[offRecordCount:])) }

// setLogAppendTime stamps the batch with the broker's time the way Kafka does
// for message.timestamp.type=LogAppendTime: timestamp type bit and
// maxTimestamp set, CRC recomputed.
func setLogAppendTime(b []byte, size int, ts int64) {
	be.PutUint16(b[offAttributes:], uint16(batchAttributes(b)|attrLogAppendTime))
	be.PutUint64(b[offMaxTimestamp:], uint64(ts))
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:size], castagnoli))
}

// lastSequence returns the sequence number of the last record of a batch,
// wrapping past math.MaxInt32 to 0 as Kafka producers do.
func lastSequence(first int32, lastOffsetDelta int64) int32 {
	if int64(first)+lastOffsetDelta > math.MaxInt32 {
		return int32(int64(first) + lastOffsetDelta - math.MaxInt32 - 1)
	}
	return int32(int64(first) + lastOffsetDelta)
}

// nextSequence returns the sequence number that follows seq.
func nextSequence(seq int32) int32 {
	if seq == math.MaxInt32 {
		return 0
	}
	return seq + 1
}
