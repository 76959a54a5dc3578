package connectors

import "context"

// SourceTask reads data from an external system and returns it as records
// (Kafka's SourceTask). The runtime converts and produces each record, and
// stores the record's SourceOffset once Kafka has acknowledged it.
//
// Calls and concurrency:
//
//   - Start is called once, first. Its ctx lives as long as the task: it is
//     cancelled when the task is being stopped.
//   - Poll is then called in a loop from one goroutine, never concurrently
//     with itself.
//   - Commit runs on another goroutine after offsets were flushed to the
//     offsets topic (every offset.flush.interval.ms), possibly while Poll
//     runs, never concurrently with itself.
//   - CommitRecord (optional, see RecordCommitter) runs on the producer's
//     acknowledgement goroutine, possibly while Poll and Commit run.
//
// Shutdown: the runtime cancels the ctx of the current Poll and waits for it
// to return; it then waits for the records in flight to be acknowledged (up
// to offset.flush.timeout.ms), flushes their offsets and calls Commit one
// last time; finally it calls Stop. If Poll does not return within
// task.shutdown.graceful.timeout.ms, Stop is called while Poll still runs,
// to wake it (by closing a connection, say), and the final Commit is
// skipped. Nothing is called after Stop.
type SourceTask interface {
	// Start prepares the task with the config its connector's TaskConfigs
	// produced. tctx gives access to the committed offsets, to resume
	// where a previous run stopped.
	Start(ctx context.Context, tctx SourceTaskContext, config map[string]string) error
	// Poll returns the next records. It may block until data arrives or
	// ctx is done, and returns nil or an empty slice when there is nothing
	// to send (the runtime then calls it again, so it should wait a little
	// rather than spin). When ctx is cancelled it returns promptly, with
	// the records it already has or none; returning ctx.Err() is fine. A
	// RetriableError makes the runtime call Poll again after a backoff; any
	// other error fails the task. The runtime owns the returned slice and
	// records.
	Poll(ctx context.Context) ([]*Record, error)
	// Commit tells the task that the offsets of all records acknowledged
	// so far are durably stored, so it may acknowledge them upstream (a
	// Postgres task confirms its LSN here). ctx bounds the call. An error
	// is logged; the task keeps running.
	Commit(ctx context.Context) error
	// Stop releases the task's resources.
	Stop() error
}

// RecordCommitter is implemented by source tasks that want to know about
// each record individually (Kafka's SourceTask.commitRecord). CommitRecord
// is called once per polled record when Kafka acknowledged it (md says where
// it was stored) or when the runtime dropped it, because a transform
// filtered it out or errors.tolerance=all skipped it (md is nil). An error
// is logged; the task keeps running.
type RecordCommitter interface {
	CommitRecord(rec *Record, md *RecordMetadata) error
}

// SourceTaskContext is a source task's view of the runtime. Its methods are
// safe for concurrent use.
type SourceTaskContext interface {
	// Config returns the task's configuration. The caller must not modify
	// the map.
	Config() map[string]string
	// Offset returns the last committed offset of a source partition, or
	// nil if there is none. Offsets come back as JSON decodes them:
	// integers as int64, other numbers as float64, objects as
	// map[string]any, whatever Go types the task used.
	Offset(ctx context.Context, partition map[string]any) (map[string]any, error)
	// Offsets is Offset for several partitions at once; the result is
	// aligned with partitions (nil where there is no offset).
	Offsets(ctx context.Context, partitions []map[string]any) ([]map[string]any, error)
}
