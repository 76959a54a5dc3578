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

// SnapshotReporter is implemented by source tasks that copy the existing
// contents of their source (a snapshot) before they follow its changes, so
// that the runtime can show how far the copy got: in the task's REST status
// and as Prometheus gauges. The runtime calls SnapshotProgress after Start
// returned, from other goroutines than Poll's (status requests, metrics
// scrapes) and possibly concurrently with itself and with Poll, until Stop;
// it must be cheap and must not block. ok is false while the task has no
// snapshot to report (it streams only, or has not planned one yet).
type SnapshotReporter interface {
	SnapshotProgress() (p SnapshotProgress, ok bool)
}

// SnapshotProgress says how far a task's snapshot got. The runtime owns
// the value returned (Tables included): a task builds a new one per call.
type SnapshotProgress struct {
	// TablesTotal is the number of tables (or other units) the snapshot
	// copies; TablesDone how many are copied in full.
	TablesTotal int `json:"tables_total"`
	TablesDone  int `json:"tables_done"`
	// RowsDone is the number of rows copied so far, over all tables;
	// RowsTotal their expected number (the sum of the tables' RowsTotal).
	RowsDone  int64 `json:"rows_done"`
	RowsTotal int64 `json:"rows_total"`
	// Completed is true once the whole snapshot was read.
	Completed bool `json:"completed"`
	// Tables is the progress of each table, in the snapshot's order.
	Tables []TableProgress `json:"tables,omitempty"`
}

// TableProgress is one table's part of a snapshot.
type TableProgress struct {
	// Table names the table, as schema.table where the source has schemas.
	Table string `json:"table"`
	// RowsDone is the number of rows read so far.
	RowsDone int64 `json:"rows_done"`
	// RowsTotal is the expected number of rows: an estimate (such as the
	// database's statistics) until the table is done, the rows read after.
	RowsTotal int64 `json:"rows_total"`
	// Done is true once the table was read in full.
	Done bool `json:"done"`
}
