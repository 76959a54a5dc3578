package log

import "errors"

// Sentinel errors returned (wrapped with detail) by this package. Callers match
// them with errors.Is; the broker maps each to a Kafka error code.
var (
	// ErrCorruptBatch reports a record batch whose framing is broken: a
	// header shorter than 61 bytes, a batchLength that disagrees with the
	// buffer, a magic byte other than 2 or a CRC-32C mismatch. Kafka code
	// CORRUPT_MESSAGE.
	ErrCorruptBatch = errors.New("corrupt record batch")

	// ErrBatchTooLarge reports a batch larger than Config.MaxMessageBytes.
	// Kafka code MESSAGE_TOO_LARGE.
	ErrBatchTooLarge = errors.New("record batch too large")

	// ErrInvalidRecord reports a well-framed batch whose contents are not
	// acceptable, such as a client-sent control batch or a lastOffsetDelta
	// that disagrees with the record count. Kafka code INVALID_RECORD.
	ErrInvalidRecord = errors.New("invalid record")

	// ErrOutOfOrderSequence reports an idempotent batch whose sequence
	// number does not follow the producer's last appended batch. Kafka code
	// OUT_OF_ORDER_SEQUENCE_NUMBER.
	ErrOutOfOrderSequence = errors.New("out of order sequence number")

	// ErrInvalidProducerEpoch reports an idempotent batch whose producer
	// epoch is lower than the one already seen for its producer id. Kafka
	// code INVALID_PRODUCER_EPOCH.
	ErrInvalidProducerEpoch = errors.New("invalid producer epoch")

	// ErrOffsetOutOfRange reports an offset below the log start offset or
	// above the log end offset. Kafka code OFFSET_OUT_OF_RANGE.
	ErrOffsetOutOfRange = errors.New("offset out of range")

	// ErrClosed reports a call on a Log after Close or Delete, or on a Log
	// that stopped accepting writes after an I/O failure left its state
	// uncertain.
	ErrClosed = errors.New("log closed")
)
