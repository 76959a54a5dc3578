package log

import (
	"log/slog"
	"math"
	"time"
)

// Kafka's defaults for the topic configs a Log honours.
const (
	// DefaultSegmentBytes is segment.bytes: 1 GiB.
	DefaultSegmentBytes int64 = 1 << 30
	// DefaultSegmentMs is segment.ms: 7 days.
	DefaultSegmentMs int64 = 7 * 24 * 60 * 60 * 1000
	// DefaultMaxMessageBytes is max.message.bytes: 1 MiB plus the 12-byte
	// log overhead of a batch.
	DefaultMaxMessageBytes = 1048588
	// DefaultIndexIntervalBytes is index.interval.bytes: one sparse index
	// entry per 4 KiB of appended batches.
	DefaultIndexIntervalBytes = 4096
	// DefaultRetentionMs is retention.ms: 7 days.
	DefaultRetentionMs int64 = 7 * 24 * 60 * 60 * 1000
	// DefaultDeleteRetentionMs is delete.retention.ms: tombstones of a
	// compacted log survive one day after the cleaner first saw them.
	DefaultDeleteRetentionMs int64 = 24 * 60 * 60 * 1000
	// DefaultMinCleanableDirtyRatio is min.cleanable.dirty.ratio.
	DefaultMinCleanableDirtyRatio = 0.5
)

// maxSegmentBytes caps segment.bytes: index entries hold 32-bit positions,
// and Kafka caps the setting at the same value.
const maxSegmentBytes = math.MaxInt32

// Config holds the per-topic settings of one partition's log. A zero or
// negative SegmentBytes, SegmentMs, MaxMessageBytes or IndexIntervalBytes
// takes Kafka's default; every other field is used as given (so 0 is a real
// value: retention.ms=0 deletes every rolled segment at the next
// ApplyRetention), and DefaultConfig holds Kafka's defaults for them.
//
// Retention fields matter only to ApplyRetention, compaction fields only to
// Compact and the Cleaner: which of them runs for a topic
// (cleanup.policy) is the caller's decision. Compacted also makes Append
// reject records without a key, as Kafka does for compacted topics.
type Config struct {
	SegmentBytes       int64 // segment.bytes; roll when the active segment would exceed it (default 1 GiB, capped at 2 GiB-1)
	SegmentMs          int64 // segment.ms; roll when the active segment's first batch was appended longer ago (default 7 days)
	MaxMessageBytes    int   // max.message.bytes: largest batch accepted (default 1048588)
	LogAppendTime      bool  // message.timestamp.type=LogAppendTime: set maxTimestamp and attribute bit 3, recompute CRC
	IndexIntervalBytes int   // index.interval.bytes (default 4096)
	RetentionMs        int64 // retention.ms; -1 = forever
	RetentionBytes     int64 // retention.bytes; -1 = unlimited

	Compacted              bool    // cleanup.policy contains compact: keyless records are rejected, the cleaner may compact
	DeleteRetentionMs      int64   // delete.retention.ms: how long a tombstone outlives the cleaning pass that first kept it
	MinCompactionLagMs     int64   // min.compaction.lag.ms: records younger than this are never compacted away
	MaxCompactionLagMs     int64   // max.compaction.lag.ms: dirty records older than this force a pass; <= 0 = never
	MinCleanableDirtyRatio float64 // min.cleanable.dirty.ratio: dirty share of the cleanable bytes that triggers a pass
}

// DefaultConfig returns Kafka's default topic configuration.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:       DefaultSegmentBytes,
		SegmentMs:          DefaultSegmentMs,
		MaxMessageBytes:    DefaultMaxMessageBytes,
		IndexIntervalBytes: DefaultIndexIntervalBytes,
		RetentionMs:        DefaultRetentionMs,
		RetentionBytes:     -1,

		DeleteRetentionMs:      DefaultDeleteRetentionMs,
		MaxCompactionLagMs:     math.MaxInt64,
		MinCleanableDirtyRatio: DefaultMinCleanableDirtyRatio,
	}
}

// withDefaults fills unset size and interval fields.
func (c Config) withDefaults() Config {
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = DefaultSegmentBytes
	}
	if c.SegmentBytes > maxSegmentBytes {
		c.SegmentBytes = maxSegmentBytes
	}
	if c.SegmentMs <= 0 {
		c.SegmentMs = DefaultSegmentMs
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.IndexIntervalBytes <= 0 {
		c.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	return c
}

// Options holds the process-level dependencies of a Log.
type Options struct {
	Logger *slog.Logger     // nil = slog.Default()
	Now    func() time.Time // nil = time.Now; injected in tests
}
