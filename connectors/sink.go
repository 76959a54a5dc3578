package connectors

import "context"

// SinkTask writes records consumed from Kafka to an external system (Kafka's
// SinkTask). The runtime consumes the topics as the consumer group
// connect-<connector>, converts and transforms each record, hands batches to
// Put, and commits consumer offsets after PreCommit says which are safe:
// delivery is at least once.
//
// Calls and concurrency: every method is called from the task's goroutine,
// never concurrently. Start comes first and Stop last. Open and Close follow
// partition assignment: Open before the first Put of a partition's records,
// Close when a partition is taken away (after a last PreCommit) and, for all
// remaining partitions, before Stop. Put and PreCommit alternate freely in
// between.
//
// The ctx given to Start lives as long as the task and is cancelled when it
// is being stopped; the ctx of every other call covers that call only and
// is cancelled when the task must stop at once.
type SinkTask interface {
	// Start prepares the task with the config its connector's TaskConfigs
	// produced.
	Start(ctx context.Context, tctx SinkTaskContext, config map[string]string) error
	// Open tells the task it now owns partitions (after a rebalance).
	Open(ctx context.Context, partitions []TopicPartition) error
	// Put delivers records, in offset order within each partition; the
	// batch may be empty, so that a task can flush by time. The task may
	// write them at once or buffer them until PreCommit. A RetriableError
	// makes the runtime pause consumption and call Put again with the same
	// records after a backoff; any other error fails the task (records that
	// fail one by one can go to the ErrantRecordReporter instead). The
	// runtime owns the slice and records; the task must copy what it keeps
	// after Put returns.
	Put(ctx context.Context, records []*Record) error
	// PreCommit is called before consumer offsets are committed (every
	// offset.flush.interval.ms, on RequestCommit, and before Close). offsets
	// maps each owned partition to the offset after the last record Put
	// (the next offset to consume). The task flushes what it buffered and
	// returns the offsets that are safe to commit: offsets itself when
	// everything was written, lower ones or a subset when not, nil to
	// commit nothing.
	PreCommit(ctx context.Context, offsets map[TopicPartition]int64) (map[TopicPartition]int64, error)
	// Close tells the task it no longer owns partitions; it should drop
	// its state for them. Records of these partitions that were not
	// committed will be delivered again to whichever task owns them next.
	Close(ctx context.Context, partitions []TopicPartition) error
	// Stop releases the task's resources.
	Stop() error
}

// SinkTaskContext is a sink task's view of the runtime. Its methods may be
// called only from the task's own calls (Start, Open, Put, PreCommit,
// Close), on the task's goroutine.
type SinkTaskContext interface {
	// Config returns the task's configuration. The caller must not modify
	// the map.
	Config() map[string]string
	// Assignment returns the partitions the task currently owns.
	Assignment() []TopicPartition
	// ResetOffsets asks the runtime to consume the given partitions from
	// the given offsets next, for a task that stores its own offsets in
	// the external system (typically called from Open).
	ResetOffsets(offsets map[TopicPartition]int64)
	// Pause stops the delivery of records of the given partitions, for
	// back-pressure, until Resume.
	Pause(partitions ...TopicPartition)
	// Resume restarts the delivery of paused partitions.
	Resume(partitions ...TopicPartition)
	// RequestCommit asks for a PreCommit and offset commit as soon as
	// possible, ahead of the next offset.flush.interval.ms.
	RequestCommit()
	// ErrantRecordReporter returns the reporter of records that fail
	// individually in Put, or nil if the runtime provides none.
	ErrantRecordReporter() ErrantRecordReporter
}

// ErrantRecordReporter sends a record that a sink task could not write to
// the runtime's error handling (KIP-610): it is logged when
// errors.log.enable is set and written to the dead letter queue when
// errors.deadletterqueue.topic.name is set. With errors.tolerance=none,
// Report returns an error, which Put should return to fail the task.
// Report returns once the record is handed over; the runtime makes sure it
// is written before the offsets covering it are committed. ctx bounds the
// call.
type ErrantRecordReporter interface {
	Report(ctx context.Context, rec *Record, err error) error
}
