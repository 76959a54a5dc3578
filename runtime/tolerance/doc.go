// Package tolerance is the error handling of the worker's task loops,
// following Kafka Connect's errors.* connector settings: retries with
// backoff (errors.retry.timeout, errors.retry.delay.max.ms), tolerance
// (errors.tolerance), logging (errors.log.enable,
// errors.log.include.messages) and, for sink connectors, the dead letter
// queue (errors.deadletterqueue.*) with Kafka Connect's context headers.
// It is Kafka's RetryWithToleranceOperator, LogReporter,
// DeadLetterQueueReporter and WorkerErrantRecordReporter in one package.
//
// Each task has one [Operator], built from its connector's config with
// [ConfigFromValues] and [Open]. The task loop runs every per-record step
// (converters, transforms) through [Operator.Execute], which retries
// retriable failures and then either skips the record (errors.tolerance=all)
// or returns the error that fails the task. A sink task reports records it
// cannot write through an [ErrantReporter]; failures that happen elsewhere
// (a producer error in a source loop) go to [Operator.Failed].
//
// Sink loop, per consumed record m, with c := tolerance.Context{...} holding
// m as consumed (topic, partition, offset, timestamp, raw key, value and
// headers):
//
//	skip, err := op.Execute(ctx, tolerance.StageKeyConverter, keyConv, &c, func() (err error) {
//		ks, k, err = keyConv.ToConnectData(m.Topic, c.Headers, m.Key)
//		return err
//	})
//	// err != nil: fail the task. skip: drop the record (its offset still
//	// counts as consumed). Then the same for StageValueConverter,
//	// StageHeaderConverter (per header) and StageTransformation (per
//	// transform, its predicate included).
//
// Delivered records and their Contexts go to [ErrantReporter.SetBatch]
// before Put. Put itself is not run through the operator, as in Kafka: a
// RetriableError from Put pauses and redelivers, anything else fails the
// task. Before committing consumer offsets the loop calls [Operator.Flush],
// and commits only if it returns nil: that is what makes a record written
// to the dead letter queue durable before the offset past it is committed.
//
// Source loop: the Context is {Record: rec}, the record as polled; the
// transforms and converters run through Execute as above (there is no dead
// letter queue for sources). A skipped record is treated as sent: its
// offset becomes committable and CommitRecord(rec, nil) is called. When the
// producer fails to write a record and [Operator.Tolerance] is all, the loop
// calls Failed(ctx, StageKafkaProduce, producer, &c, err) and treats the
// record as sent; with none the task fails.
//
// A retriable failure still failing when errors.retry.timeout is used up
// is handled like any other failure, as in Kafka since KAFKA-18073 (before,
// Kafka skipped it silently even under errors.tolerance=none).
//
// Differences from Kafka, deliberate: [Operator.Flush] fails once any dead
// letter queue write failed, for the failures Execute reports too, not only
// for errant records, so no offset is committed past a record that is
// neither delivered nor in the queue; when ctx is cancelled during a retry
// wait, Execute returns the cancellation instead of reporting the record; a
// failure log always carries the record's coordinates, and its key, value
// and headers only with errors.log.include.messages. Class names are Go
// type names with their import path, and
// __connect.errors.exception.stacktrace holds the chain of wrapped errors,
// since Go errors carry no stack.
//
// The one thing to know: Execute's success path is free (no allocation, no
// clock read without retries), so the loops call it per record; everything
// else happens only on failure.
package tolerance
