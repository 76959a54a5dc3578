package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"conflux/connectors"
	"conflux/internal/arena"
	"conflux/internal/slab"
	"conflux/offsets"
	"conflux/runtime/producer"
	"conflux/runtime/tolerance"
)

// sourceTask runs one SourceTask (Kafka's WorkerSourceTask): Poll →
// transforms → converters → producer. A record's source offset becomes
// committable when Kafka acknowledges it (and every earlier record of its
// source partition); committable offsets are flushed to the offsets topic
// every offset.flush.interval.ms, after which the task's Commit runs.
type sourceTask struct {
	id        TaskID
	task      connectors.SourceTask
	committer connectors.RecordCommitter // nil unless the task implements it
	commitMu  sync.Mutex                 // CommitRecord calls never overlap
	config    map[string]string          // the task's config
	pipe      *recordPipeline
	producer  *producer.Producer
	fail      *failure        // set by run before the first record is sent
	loopDone  <-chan struct{} // closed when the poll loop has ended; nil before run starts it
	writer    *offsets.OffsetWriter
	store     *offsets.Store
	target    *targetSwitch
	status    statusReporter
	metrics   *taskMetrics
	topics    topicTracker
	logger    *slog.Logger

	flushInterval, flushTimeout, shutdownTimeout time.Duration
	pollBackoff                                  time.Duration // owned by the poll loop
	// inflights is where send carves its records' inflight values from:
	// the poll loop's, many to an allocation.
	inflights slab.Slab[inflight]
}

// pollRetryMax caps the backoff between polls that failed with a
// RetriableError.
const pollRetryMax = 30 * time.Second

// inflight is a record on its way to Kafka: its producer message (whose
// Metadata points back here) and what its acknowledgement must do. One
// value per record, from a slab, covers it all.
type inflight struct {
	msg       producer.Message
	sub       *offsets.SubmittedRecord
	rec       *connectors.Record // as polled, for CommitRecord
	partition int32              // the record's explicit partition, -1 if none
	// keyMem and valueMem hold msg's key and value bytes when they were
	// written into the pipeline's arena (nil otherwise).
	keyMem, valueMem *arena.Chunk
}

// release hands the memory of the record's key and value back for reuse:
// the record has been acknowledged, dropped or failed, and nothing reads
// its bytes any more.
func (in *inflight) release() {
	in.keyMem.Release()
	in.valueMem.Release()
	in.keyMem, in.valueMem = nil, nil
}

// topicTracker records the topics a connector writes to or reads from
// (topic.tracking.enable); seen is called for every record and must be
// cheap for topics already known.
type topicTracker interface {
	seen(topic string)
}

func (t *sourceTask) setTarget(state TargetState) { t.target.set(state) }

// Config implements connectors.SourceTaskContext.
func (t *sourceTask) Config() map[string]string { return t.config }

// Offset implements connectors.SourceTaskContext.
func (t *sourceTask) Offset(ctx context.Context, partition map[string]any) (map[string]any, error) {
	got, err := t.Offsets(ctx, []map[string]any{partition})
	if err != nil {
		return nil, err
	}
	return got[0], nil
}

// Offsets implements connectors.SourceTaskContext.
func (t *sourceTask) Offsets(ctx context.Context, partitions []map[string]any) ([]map[string]any, error) {
	byKey, err := t.store.Get(ctx, t.id.Connector, partitions)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(partitions))
	for i, p := range partitions {
		key, err := offsets.KeyOf(p)
		if err != nil {
			return nil, err
		}
		out[i] = byKey[key]
	}
	return out, nil
}

func (t *sourceTask) run(ctx context.Context) {
	loopCtx, cancelLoop := context.WithCancel(ctx)
	defer cancelLoop()
	fail := &failure{cancel: cancelLoop}
	t.fail = fail
	taskCtx, cancelTask := context.WithCancel(context.Background())
	defer cancelTask()

	if err := t.task.Start(taskCtx, t, t.config); err != nil {
		t.finish(fmt.Errorf("start source task: %w", err), false)
		return
	}
	t.metrics.m.snapshots.add(t.id, t.task)
	if state, _ := t.target.get(); state == TargetPaused {
		t.status.taskState(t.id, StatePaused, nil)
	} else {
		t.status.taskState(t.id, StateRunning, nil)
	}

	polled := make(chan struct{})
	t.loopDone = polled
	go func() {
		defer close(polled)
		t.loop(loopCtx, fail)
	}()
	// Offsets are flushed on a schedule of their own, as Kafka Connect's
	// offset committer does, so that a Poll waiting for data never holds
	// back the offsets of records already acknowledged.
	commitCtx, stopCommits := context.WithCancel(context.Background())
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		t.commitLoop(commitCtx)
	}()
	defer func() {
		stopCommits()
		<-committed
	}()

	// The loop ends when the worker stops the task (ctx) or the task fails;
	// a Poll that ignores its context is abandoned after the shutdown
	// timeout, and Stop is called to wake it.
	select {
	case <-polled:
	case <-loopCtx.Done():
		select {
		case <-polled:
		case <-time.After(t.shutdownTimeout):
			t.logger.Warn("source task did not return from poll in time; stopping it", "timeout", t.shutdownTimeout)
			stopCommits()
			<-committed
			cancelTask()
			t.stopTask()
			t.producer.AsyncClose()
			t.finish(fail.get(), true)
			return
		}
	}
	stopCommits()
	<-committed

	// Let the records in flight be acknowledged, then flush their offsets
	// one last time and let the task commit.
	t.producer.AsyncClose()
	select {
	case <-t.producer.Done():
	case <-time.After(t.flushTimeout):
		t.logger.Warn("records still unacknowledged at shutdown; their offsets are not committed",
			"outstanding", t.writer.Outstanding(), "timeout", t.flushTimeout)
	}
	t.commitOffsets(context.Background())
	cancelTask()
	t.stopTask()
	t.finish(fail.get(), true)
}

// finish reports the task's final state: FAILED with err, else UNASSIGNED
// (stopped by the worker), and releases its resources.
func (t *sourceTask) finish(err error, started bool) {
	if !started {
		t.producer.AsyncClose() // nothing was sent
	}
	t.closePipe()
	t.metrics.remove()
	if err != nil {
		t.logger.Error("source task failed", "error", err)
		t.status.taskState(t.id, StateFailed, err)
		return
	}
	t.status.taskState(t.id, StateUnassigned, nil)
}

// closePipe closes the pipeline once the poll loop no longer uses it: at
// once, or when an abandoned Poll finally returns.
func (t *sourceTask) closePipe() {
	if t.loopDone == nil {
		t.pipe.close()
		return
	}
	select {
	case <-t.loopDone:
		t.pipe.close()
	default:
		go func() {
			<-t.loopDone
			t.pipe.close()
		}()
	}
}

func (t *sourceTask) stopTask() {
	if !callWithTimeout(t.shutdownTimeout, func() {
		if err := t.task.Stop(); err != nil {
			t.logger.Warn("source task stop failed", "error", err)
		}
	}) {
		t.logger.Error("source task's Stop did not return in time; abandoning it", "timeout", t.shutdownTimeout)
	}
}

// loop polls and sends until ctx ends or the task fails.
func (t *sourceTask) loop(ctx context.Context, fail *failure) {
	for ctx.Err() == nil {
		if err := t.target.awaitRunning(ctx,
			func() { t.status.taskState(t.id, StatePaused, nil) },
			func() { t.status.taskState(t.id, StateRunning, nil) }); err != nil {
			return
		}
		recs, err := t.poll(ctx)
		if err != nil {
			fail.fail(err)
			return
		}
		if ctx.Err() != nil {
			// Stopping: the task may already be finished and its pipeline
			// closed (a Poll abandoned after the shutdown timeout). Records
			// not sent keep their offsets uncommitted and are polled again.
			return
		}
		if len(recs) > 0 {
			t.metrics.polled.Add(float64(len(recs)))
			t.metrics.pollBatches.Inc()
		}
		for _, rec := range recs {
			if err := t.send(ctx, rec); err != nil {
				if ctx.Err() != nil {
					return // stopping: the rest of the batch is not sent
				}
				t.metrics.errors.Inc()
				fail.fail(err)
				return
			}
		}
	}
}

// commitLoop flushes offsets and lets the task commit every
// offset.flush.interval.ms until ctx ends.
func (t *sourceTask) commitLoop(ctx context.Context) {
	tick := time.NewTicker(t.flushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.commitOffsets(ctx)
		}
	}
}

// poll calls the task's Poll. A RetriableError is logged and Poll is
// called again after a backoff, for as long as it takes, as in Kafka
// Connect; any other error fails the task.
func (t *sourceTask) poll(ctx context.Context) ([]*connectors.Record, error) {
	recs, err := t.task.Poll(ctx)
	switch {
	case err == nil:
		t.pollBackoff = 0
		return recs, nil
	case isStopping(ctx, err):
		return nil, nil // stopping: the loop ends, and what was polled is polled again
	case errors.Is(err, connectors.ErrRetriable):
		var re *connectors.RetriableError
		wait := min(max(2*t.pollBackoff, 100*time.Millisecond), pollRetryMax)
		if errors.As(err, &re) && re.Backoff > 0 {
			wait = re.Backoff
		}
		t.pollBackoff = wait
		t.logger.Warn("source task poll failed; retrying", "error", err, "backoff", wait)
		sleepCtx(ctx, wait)
		return recs, nil
	}
	return nil, fmt.Errorf("poll: %w", err)
}

// send transforms, converts and hands one polled record to the producer.
// Records that a transform drops or that errors.tolerance=all skips are
// committed at once, their offsets with them; an error fails the task.
func (t *sourceTask) send(ctx context.Context, rec *connectors.Record) error {
	in := t.inflights.One()
	in.rec, in.partition = rec, -1
	sent := false
	defer func() {
		if !sent { // the producer never had it: its bytes are free again
			in.release()
		}
	}()
	out, err := t.pipe.toKafka(ctx, in)
	if err != nil {
		return err
	}
	sub, err := t.writer.Submit(rec.SourcePartition, rec.SourceOffset)
	if err != nil {
		return fmt.Errorf("source record for %s has an offset that cannot be stored: %w", rec.Topic, err)
	}
	if out == nil {
		sub.Ack()
		t.dropped(rec)
		return nil
	}
	in.sub = sub
	if out.KafkaPartition != nil {
		in.partition = *out.KafkaPartition
	}
	// An error is ctx's: never sent, the record's offset stays
	// unacknowledged, so no later offset of its partition is committed,
	// and it is polled again next time.
	if err := t.producer.Send(ctx, &in.msg); err != nil {
		return err
	}
	sent = true // acked releases it
	return nil
}

// dropped commits a record that will not be produced.
func (t *sourceTask) dropped(rec *connectors.Record) { t.commitRecord(rec, nil) }

// commitRecord calls the task's CommitRecord, if it has one.
func (t *sourceTask) commitRecord(rec *connectors.Record, md *connectors.RecordMetadata) {
	if t.committer == nil {
		return
	}
	t.commitMu.Lock()
	defer t.commitMu.Unlock()
	if err := t.committer.CommitRecord(rec, md); err != nil {
		t.logger.Warn("source task failed to commit a record", "error", err)
	}
}

// acked handles the producer's report on a record: acknowledged, its
// offset becomes committable; failed, it fails the task unless
// errors.tolerance=all skips it. The producer calls it from one goroutine.
func (t *sourceTask) acked(m *producer.Message, err error) {
	in := m.Metadata.(*inflight)
	defer in.release()
	if err == nil {
		in.sub.Ack()
		t.metrics.written.Inc()
		t.metrics.writtenBytes.Add(float64(len(m.Key) + len(m.Value)))
		t.topics.seen(m.Topic)
		if t.committer != nil {
			t.commitRecord(in.rec, &connectors.RecordMetadata{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Timestamp: m.Timestamp})
		}
		return
	}
	t.metrics.errors.Inc()
	if t.pipe.ops.Tolerance() == tolerance.ToleranceAll {
		_ = t.pipe.ops.Failed(context.Background(), tolerance.StageKafkaProduce, t.producer, &tolerance.Context{Record: in.rec}, err)
		t.metrics.skipped.Inc()
		in.sub.Ack()
		t.dropped(in.rec)
		return
	}
	// The record is lost to Kafka: its offset stays unacknowledged so
	// that no later offset of its partition is committed.
	t.fail.fail(fmt.Errorf("produce to %s: %w", m.Topic, err))
}

// commitOffsets flushes the committable offsets and lets the task commit.
func (t *sourceTask) commitOffsets(ctx context.Context) {
	start := time.Now()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.flushTimeout)
	defer cancel()
	n, err := t.writer.Flush(fctx)
	if err != nil {
		t.metrics.commitFailures.Inc()
		t.logger.Error("failed to flush source offsets; they will be flushed next time", "error", err)
		return
	}
	if err := t.task.Commit(fctx); err != nil {
		t.logger.Warn("source task commit failed", "error", err)
	}
	if n > 0 {
		t.metrics.commitLatency.Observe(time.Since(start).Seconds())
	}
}
