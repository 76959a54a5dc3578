package tolerance

import "sync/atomic"

// Stats is a snapshot of one task's error handling counters: Kafka
// Connect's task-error-metrics group, under the names given with each
// field. The counters only grow, for the life of the Operator.
type Stats struct {
	// RecordFailures counts failed attempts, retried or not, and failures
	// reported with Failed or an ErrantReporter (total-record-failures).
	RecordFailures int64
	// RecordErrors counts operations that failed for good, after any
	// retries, whether or not the record was then skipped
	// (total-record-errors). A failure reported with Failed counts only
	// when it is not tolerated, as in Kafka.
	RecordErrors int64
	// RecordsSkipped counts records skipped under errors.tolerance=all
	// (total-records-skipped).
	RecordsSkipped int64
	// Retries counts retries (total-retries).
	Retries int64
	// ErrorsLogged counts failures written to the log (total-errors-logged).
	ErrorsLogged int64
	// DLQProduceRequests counts records sent towards the dead letter queue
	// (deadletterqueue-produce-requests).
	DLQProduceRequests int64
	// DLQProduceFailures counts those that were not written
	// (deadletterqueue-produce-failures), including failures without a
	// consumed record to write.
	DLQProduceFailures int64
	// LastErrorTimestamp is when the last failure for good happened, in
	// milliseconds since the Unix epoch; 0 if none (last-error-timestamp).
	LastErrorTimestamp int64
}

// counters are the live, atomic form of Stats.
type counters struct {
	failures, errors, skipped, retries, logged atomic.Int64
	dlqRequests, dlqFailures, lastError        atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		RecordFailures:     c.failures.Load(),
		RecordErrors:       c.errors.Load(),
		RecordsSkipped:     c.skipped.Load(),
		Retries:            c.retries.Load(),
		ErrorsLogged:       c.logged.Load(),
		DLQProduceRequests: c.dlqRequests.Load(),
		DLQProduceFailures: c.dlqFailures.Load(),
		LastErrorTimestamp: c.lastError.Load(),
	}
}
