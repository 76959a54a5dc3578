// Package log is the storage of one partition of the Conflux broker: a
// durable, append-only log of Kafka record batches (v2) kept in a directory,
// in the layout and with the semantics of Kafka's own log.
//
// # Files
//
// A partition directory (for example <data-dir>/<topic>-<partition>) holds:
//
//   - <base>.log: a segment, named after the offset of its first record
//     padded to 20 digits. It is a plain concatenation of record batches
//     exactly as producers sent them, except that baseOffset (bytes 0-8) is
//     rewritten to the assigned offset and partitionLeaderEpoch (bytes
//     12-16) is set to 0; neither is covered by the CRC. Compressed batches
//     stay compressed. Only the last segment (the active one) is appended
//     to; a new one is rolled when segment.bytes or segment.ms is reached.
//   - <base>.index: the sparse offset index of the segment, one 8-byte
//     entry (uint32 last offset of a batch relative to base, uint32 file
//     position of that batch; big-endian) per index.interval.bytes appended.
//   - <base>.timeindex: the time index, 12-byte entries (int64 running
//     maximum timestamp of the segment up to that batch, uint32 relative
//     offset of the batch's last record), written beside offset index
//     entries when the maximum grows. A rolled segment's last entry holds
//     its maximum timestamp and last offset.
//   - recovery-checkpoint: the recovery point, written with a CRC after an
//     fsync (at most once a second by SyncTo, at each first sync of a new
//     segment, and by Close): the active segment, the byte position and
//     offset up to which it and every earlier segment (with indexes) are on
//     disk, the index state at that point, and a snapshot of the idempotent
//     producer state as of that offset.
//   - log-start-offset: the log start offset set by DeleteRecordsBefore,
//     with a CRC; absent until the first call.
//   - clean-shutdown: an empty marker written last by Close and removed by
//     Open.
//
// # Durability and recovery
//
// Append writes the whole request with one positioned write and never
// fsyncs; an acks=all produce must call SyncTo, which group-commits: one
// fdatasync serves every caller that queued while the previous one ran.
// Index entries are kept in memory and written to the index files in
// batches; they are derived data that recovery can always rebuild.
//
// Open after a clean shutdown reads no segment data. After a crash it
// rescans, with full CRC checks, only what follows the recovery checkpoint,
// truncates at the first invalid or partial batch and deletes any segment
// after it. Data acknowledged by SyncTo is always before that cut.
//
// # Concurrency
//
// Appends are serialised by one mutex that is held during the write system
// call. Reads take it only to capture the segment, its committed size and a
// view of its index, then do their file I/O without it; segments deleted
// meanwhile stay open (reference counted) until in-flight readers finish.
// Older segments found at Open are opened and their indexes loaded on first
// use, so the cost of Open grows with the number of segments (a directory
// listing), not with the amount of data.
//
// Validation on the append path is per batch header (framing, CRC-32C,
// counts, control bit, size, producer sequence): records are never decoded
// there. Only the timestamp lookups decode records.
package log
