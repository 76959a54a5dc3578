package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"conflux/connectors"
	"conflux/runtime/tolerance"
)

// Sink loop settings.
const (
	// defaultMaxPollRecords is max.poll.records, the most records one Put
	// receives.
	defaultMaxPollRecords = 500
	// putRetryMax caps the backoff between retries of a Put that returned
	// a RetriableError.
	putRetryMax = 30 * time.Second
	// consumeRetry is the pause before rejoining after the consumer group
	// failed (broker down, say).
	consumeRetry = time.Second
	// topicsRegexRefresh is how often topics.regex is matched again
	// against the cluster's topics.
	topicsRegexRefresh = 30 * time.Second
)

// sinkTask runs one SinkTask (Kafka's WorkerSinkTask): a member of the
// consumer group connect-<connector> whose records go through converters
// and transforms to Put; consumer offsets are committed every
// offset.flush.interval.ms, after PreCommit said which are safe.
//
// sarama drives the group from its own goroutines (Setup, ConsumeClaim,
// Cleanup); they hand everything to the task's goroutine as events over one
// channel, so that the task's methods run on one goroutine, in order:
// Open, then Puts, then Close, for each generation.
type sinkTask struct {
	id                                           TaskID
	task                                         connectors.SinkTask
	config                                       map[string]string
	topics                                       []string       // topics, or nil with topicsRe
	topicsRe                                     *regexp.Regexp // topics.regex, anchored
	groupID                                      string
	brokers                                      []string
	sarama                                       *sarama.Config
	maxRecs                                      int
	pipe                                         *recordPipeline
	target                                       *targetSwitch
	status                                       statusReporter
	metrics                                      *taskMetrics
	tracker                                      topicTracker
	logger                                       *slog.Logger
	errant                                       *tolerance.ErrantReporter // nil unless failures are logged or sent to a DLQ
	flushInterval, flushTimeout, shutdownTimeout time.Duration

	events      chan sinkEvent
	quit        chan struct{} // closed by stopWaiting: sarama's goroutines stop waiting
	stopWaiting func()        // closes quit once
	group       sarama.ConsumerGroup
	meta        sarama.Client // metadata for topics.regex; nil with topics

	cancelMu      sync.Mutex
	cancelSession context.CancelFunc // ends the current generation

	// State owned by the run loop.
	sess            sarama.ConsumerGroupSession // current generation, nil between them
	owned           map[connectors.TopicPartition]bool
	positions       map[connectors.TopicPartition]int64 // next offset after the last record put
	pendingResets   map[connectors.TopicPartition]int64
	pausedByTask    map[connectors.TopicPartition]bool
	commitRequested bool
	parked          []sinkEvent // record batches that arrived while paused
	paused          bool
	scratch         tolerance.Context // the record being converted, for error handling
}

// sinkEventKind says what a sinkEvent carries.
type sinkEventKind int

const (
	sinkOpen    sinkEventKind = iota + 1 // a generation starts: claims assigned
	sinkRecords                          // a batch of one partition's records
	sinkClose                            // a generation ends: commit and close
)

// sinkEvent is handed from sarama's goroutines to the task's.
type sinkEvent struct {
	kind sinkEventKind
	sess sarama.ConsumerGroupSession
	msgs []*sarama.ConsumerMessage
	hwm  int64         // the partition's high watermark, for lag
	done chan struct{} // closed when an open or close event is handled
}

func (t *sinkTask) setTarget(state TargetState) { t.target.set(state) }

// Config implements connectors.SinkTaskContext.
func (t *sinkTask) Config() map[string]string { return t.config }

// Assignment implements connectors.SinkTaskContext.
func (t *sinkTask) Assignment() []connectors.TopicPartition {
	out := slices.Collect(maps.Keys(t.owned))
	slices.SortFunc(out, compareTP)
	return out
}

// ResetOffsets implements connectors.SinkTaskContext: the partitions are
// consumed from the given offsets next. Called from Open it takes effect
// before the first record is fetched; later it restarts the generation.
func (t *sinkTask) ResetOffsets(offsets map[connectors.TopicPartition]int64) {
	for tp, off := range offsets {
		t.pendingResets[tp] = off
	}
}

// Pause implements connectors.SinkTaskContext.
func (t *sinkTask) Pause(partitions ...connectors.TopicPartition) {
	for _, tp := range partitions {
		t.pausedByTask[tp] = true
	}
	t.group.Pause(partitionMap(partitions))
}

// Resume implements connectors.SinkTaskContext.
func (t *sinkTask) Resume(partitions ...connectors.TopicPartition) {
	for _, tp := range partitions {
		delete(t.pausedByTask, tp)
	}
	if !t.paused {
		t.group.Resume(partitionMap(partitions))
	}
}

// RequestCommit implements connectors.SinkTaskContext.
func (t *sinkTask) RequestCommit() { t.commitRequested = true }

// ErrantRecordReporter implements connectors.SinkTaskContext.
func (t *sinkTask) ErrantRecordReporter() connectors.ErrantRecordReporter {
	if t.errant == nil {
		return nil
	}
	return t.errant
}

func partitionMap(tps []connectors.TopicPartition) map[string][]int32 {
	m := make(map[string][]int32)
	for _, tp := range tps {
		m[tp.Topic] = append(m[tp.Topic], tp.Partition)
	}
	return m
}

func compareTP(a, b connectors.TopicPartition) int {
	if a.Topic != b.Topic {
		if a.Topic < b.Topic {
			return -1
		}
		return 1
	}
	return int(a.Partition - b.Partition)
}

func (t *sinkTask) run(ctx context.Context) {
	t.events = make(chan sinkEvent)
	t.quit = make(chan struct{})
	t.stopWaiting = sync.OnceFunc(func() { close(t.quit) })
	defer t.stopWaiting()
	t.owned = make(map[connectors.TopicPartition]bool)
	t.positions = make(map[connectors.TopicPartition]int64)
	t.pendingResets = make(map[connectors.TopicPartition]int64)
	t.pausedByTask = make(map[connectors.TopicPartition]bool)

	if t.meta != nil {
		defer t.meta.Close()
	}
	group, err := sarama.NewConsumerGroup(t.brokers, t.groupID, t.sarama)
	if err != nil {
		t.finish(fmt.Errorf("join consumer group %s: %w", t.groupID, err))
		return
	}
	t.group = group
	taskCtx, cancelTask := context.WithCancel(context.Background())
	defer cancelTask()
	if err := t.task.Start(taskCtx, t, t.config); err != nil {
		group.Close()
		t.finish(fmt.Errorf("start sink task: %w", err))
		return
	}
	t.status.taskState(t.id, StateRunning, nil)

	loopCtx, cancelLoop := context.WithCancel(ctx)
	defer cancelLoop()
	fail := &failure{cancel: cancelLoop}
	consumeCtx, stopConsuming := context.WithCancel(context.Background())
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		t.consume(consumeCtx, fail)
	}()

	t.loop(loopCtx, fail, consumed)

	// Leave the group: sarama ends the generation (Cleanup commits and
	// closes the partitions through the events still handled below).
	stopConsuming()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		if err := group.Close(); err != nil {
			t.logger.Debug("closing the consumer group", "error", err)
		}
	}()
	deadline := time.After(t.shutdownTimeout)
	for waiting := true; waiting; {
		select {
		case ev := <-t.events:
			t.handle(context.Background(), ev, fail)
		case <-consumed:
			waiting = false
		case <-deadline:
			t.logger.Warn("sink task did not leave its consumer group in time; leaving without committing", "timeout", t.shutdownTimeout)
			// Release sarama's callbacks, which would otherwise wait for
			// this goroutine forever: the session ends and the group is
			// left, instead of a member that heartbeats on and holds every
			// rebalance of the group until its rebalance timeout.
			t.stopWaiting()
			waiting = false
		}
	}
	<-closed
	if len(t.owned) > 0 {
		t.closePartitions(context.Background(), t.Assignment())
	}
	cancelTask()
	if !callWithTimeout(t.shutdownTimeout, func() {
		if err := t.task.Stop(); err != nil {
			t.logger.Warn("sink task stop failed", "error", err)
		}
	}) {
		t.logger.Error("sink task's Stop did not return in time; abandoning it", "timeout", t.shutdownTimeout)
	}
	t.finish(fail.get())
}

func (t *sinkTask) finish(err error) {
	t.pipe.close()
	t.metrics.remove()
	if err != nil {
		t.logger.Error("sink task failed", "error", err)
		t.status.taskState(t.id, StateFailed, err)
		return
	}
	t.status.taskState(t.id, StateUnassigned, nil)
}

// loop handles events, commits and target state changes until ctx ends or
// the task fails.
func (t *sinkTask) loop(ctx context.Context, fail *failure, consumed <-chan struct{}) {
	tick := time.NewTicker(t.flushInterval)
	defer tick.Stop()
	for {
		state, changed := t.target.get()
		for _, ev := range t.applyTarget(state) {
			t.handle(ctx, ev, fail)
		}
		select {
		case <-ctx.Done():
			return
		case <-consumed:
			return
		case <-changed:
		case ev := <-t.events:
			t.handle(ctx, ev, fail)
		case <-tick.C:
			t.idlePut(ctx, fail)
			t.commit(ctx)
		}
		if t.commitRequested {
			t.commit(ctx)
		}
	}
}

// applyTarget pauses or resumes consumption to match the target state. On
// resume it returns the record batches that arrived while paused, for the
// loop to deliver.
func (t *sinkTask) applyTarget(state TargetState) []sinkEvent {
	switch {
	case state == TargetPaused && !t.paused:
		t.paused = true
		t.group.PauseAll()
		t.status.taskState(t.id, StatePaused, nil)
	case state != TargetPaused && t.paused:
		t.paused = false
		t.group.ResumeAll()
		if len(t.pausedByTask) > 0 {
			t.group.Pause(partitionMap(slices.Collect(maps.Keys(t.pausedByTask))))
		}
		t.status.taskState(t.id, StateRunning, nil)
		parked := t.parked
		t.parked = nil
		return parked
	}
	return nil
}

// handle processes one event on the task's goroutine.
func (t *sinkTask) handle(ctx context.Context, ev sinkEvent, fail *failure) {
	switch ev.kind {
	case sinkOpen:
		t.open(ctx, ev.sess, fail)
		close(ev.done)
	case sinkClose:
		if t.sess == ev.sess {
			t.closePartitions(ctx, t.Assignment())
			t.sess = nil
		}
		close(ev.done)
	case sinkRecords:
		if ev.sess != t.sess || fail.get() != nil {
			return // a generation that ended: these records will come again
		}
		if t.paused {
			t.parked = append(t.parked, ev)
			return
		}
		// A batch cut short by the task's stop is neither put nor counted
		// as delivered: it comes again after the restart.
		if err := t.deliver(ctx, ev); err != nil && ctx.Err() == nil {
			fail.fail(err)
		}
	}
}

// open starts a generation: the task learns its partitions, and offsets it
// asks for in Open apply before consumption starts.
func (t *sinkTask) open(ctx context.Context, sess sarama.ConsumerGroupSession, fail *failure) {
	t.sess = sess
	var tps []connectors.TopicPartition
	for topic, parts := range sess.Claims() {
		for _, p := range parts {
			tps = append(tps, connectors.TopicPartition{Topic: topic, Partition: p})
		}
	}
	slices.SortFunc(tps, compareTP)
	for _, tp := range tps {
		t.owned[tp] = true
	}
	if err := t.task.Open(ctx, tps); err != nil {
		fail.fail(fmt.Errorf("open partitions: %w", err))
		return
	}
	t.applyResets(false)
}

// applyResets hands ResetOffsets requests to the group. Outside Open the
// running consumers cannot seek, so the generation is restarted.
func (t *sinkTask) applyResets(restart bool) {
	if len(t.pendingResets) == 0 || t.sess == nil {
		return
	}
	for tp, off := range t.pendingResets {
		if t.owned[tp] {
			t.sess.ResetOffset(tp.Topic, tp.Partition, off, "")
			t.positions[tp] = off
		}
	}
	clear(t.pendingResets)
	if restart {
		t.sess.Commit()
		t.group.PauseAll()
		t.logger.Info("sink task reset its offsets; rejoining the group to seek")
		t.sess = nil // records still on their way belong to the old positions
		t.restartGeneration()
	}
}

// deliver converts and transforms one batch and puts it.
func (t *sinkTask) deliver(ctx context.Context, ev sinkEvent) error {
	t.metrics.read.Add(float64(len(ev.msgs)))
	var size int
	for _, msg := range ev.msgs {
		size += len(msg.Key) + len(msg.Value)
	}
	t.metrics.readBytes.Add(float64(size))
	recs := make([]*connectors.Record, 0, len(ev.msgs))
	// Error handling needs each record's consumed form; the errant record
	// reporter needs those of the records put, for the length of the put.
	var kept []tolerance.Context
	if t.errant != nil {
		kept = make([]tolerance.Context, 0, len(ev.msgs))
	}
	for _, msg := range ev.msgs {
		t.scratch = consumedContext(msg)
		rec, err := t.pipe.fromKafka(ctx, msg, &t.scratch)
		if err != nil {
			t.metrics.errors.Inc()
			return err
		}
		if rec != nil {
			recs = append(recs, rec)
			if t.errant != nil {
				kept = append(kept, t.scratch)
			}
		}
	}
	last := ev.msgs[len(ev.msgs)-1]
	t.tracker.seen(last.Topic)
	if len(recs) > 0 {
		if t.errant != nil {
			t.errant.SetBatch(recs, kept)
		}
		err := t.put(ctx, recs)
		if t.errant != nil {
			t.errant.SetBatch(nil, nil)
		}
		if err != nil {
			return err
		}
		t.metrics.sent.Add(float64(len(recs)))
		t.metrics.putBatches.Inc()
	}
	tp := connectors.TopicPartition{Topic: last.Topic, Partition: last.Partition}
	t.positions[tp] = last.Offset + 1
	if ev.hwm > 0 {
		t.metrics.lag(tp.Topic, tp.Partition, max(0, ev.hwm-last.Offset-1))
	}
	t.applyResets(true)
	return nil
}

// put calls Put, retrying a RetriableError with backoff (consumption waits
// meanwhile, as in Kafka Connect) until it succeeds or the task stops.
func (t *sinkTask) put(ctx context.Context, recs []*connectors.Record) error {
	backoff := 100 * time.Millisecond
	for {
		err := t.task.Put(ctx, recs)
		if err == nil {
			return nil
		}
		var re *connectors.RetriableError
		if !errors.As(err, &re) {
			if isStopping(ctx, err) {
				return ctx.Err()
			}
			return fmt.Errorf("put: %w", err)
		}
		wait := backoff
		if re.Backoff > 0 {
			wait = re.Backoff
		}
		t.logger.Warn("sink task put failed; retrying", "error", err, "backoff", wait)
		select {
		case <-ctx.Done():
			return ctx.Err() // not put: the records are delivered again
		case <-time.After(wait):
		}
		backoff = min(2*backoff, putRetryMax)
	}
}

// idlePut calls Put with no records on each commit tick, as Kafka's
// WorkerSinkTask does when a poll brings nothing, so that a task that
// sends in the background can flush by time and report a failure (which
// fails it) even when its topics are idle.
func (t *sinkTask) idlePut(ctx context.Context, fail *failure) {
	if t.sess == nil || t.paused || fail.get() != nil {
		return
	}
	if err := t.put(ctx, nil); err != nil && ctx.Err() == nil {
		fail.fail(err)
	}
}

// commit asks the task which offsets are safe and commits them.
func (t *sinkTask) commit(ctx context.Context) {
	t.commitRequested = false
	if t.sess == nil || len(t.owned) == 0 {
		return
	}
	t.commitPartitions(ctx, t.Assignment())
}

func (t *sinkTask) commitPartitions(ctx context.Context, tps []connectors.TopicPartition) {
	offsets := make(map[connectors.TopicPartition]int64, len(tps))
	for _, tp := range tps {
		if off, ok := t.positions[tp]; ok {
			offsets[tp] = off
		}
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.flushTimeout)
	defer cancel()
	safe, err := t.task.PreCommit(cctx, offsets)
	if err != nil {
		t.metrics.commitFailures.Inc()
		t.logger.Error("sink task pre-commit failed; offsets not committed", "error", err)
		return
	}
	if len(safe) == 0 {
		return
	}
	// Records sent to the dead letter queue must be there before the
	// offsets that cover them are committed.
	if err := t.pipe.ops.Flush(cctx); err != nil {
		t.metrics.commitFailures.Inc()
		t.logger.Error("dead letter queue flush failed; offsets not committed", "error", err)
		return
	}
	for tp, off := range safe {
		switch pos, ok := t.positions[tp]; {
		case !t.owned[tp]:
		case !ok || off > pos:
			// As Kafka Connect: an offset past what was delivered would
			// skip records that were never put.
			t.logger.Warn("ignoring a pre-commit offset beyond the records delivered", "partition", tp, "offset", off, "delivered", pos)
		default:
			// sarama's MarkOffset only moves forward and ResetOffset only
			// back; a task may ask for either.
			t.sess.MarkOffset(tp.Topic, tp.Partition, off, "")
			t.sess.ResetOffset(tp.Topic, tp.Partition, off, "")
		}
	}
	t.sess.Commit()
	t.metrics.commitLatency.Observe(time.Since(start).Seconds())
}

// closePartitions commits and closes partitions the task loses.
func (t *sinkTask) closePartitions(ctx context.Context, tps []connectors.TopicPartition) {
	if len(tps) == 0 {
		return
	}
	if t.sess != nil {
		t.commitPartitions(ctx, tps)
	}
	if err := t.task.Close(ctx, tps); err != nil {
		t.logger.Warn("sink task failed to close partitions", "error", err)
	}
	for _, tp := range tps {
		delete(t.owned, tp)
		delete(t.positions, tp)
		t.metrics.forgetLag(tp.Topic, tp.Partition)
	}
}
