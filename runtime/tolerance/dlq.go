package tolerance

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"conflux/connectors"
)

// Names of the headers errors.deadletterqueue.context.headers.enable adds
// to dead letter queue records (Kafka Connect's). Every value is a UTF-8
// string; partition, offset and task id are in decimal.
const (
	HeaderPrefix             = "__connect.errors."
	HeaderTopic              = HeaderPrefix + "topic"
	HeaderPartition          = HeaderPrefix + "partition"
	HeaderOffset             = HeaderPrefix + "offset"
	HeaderConnectorName      = HeaderPrefix + "connector.name"
	HeaderTaskID             = HeaderPrefix + "task.id"
	HeaderStage              = HeaderPrefix + "stage"
	HeaderClassName          = HeaderPrefix + "class.name"
	HeaderExceptionClassName = HeaderPrefix + "exception.class.name"
	HeaderExceptionMessage   = HeaderPrefix + "exception.message"
	HeaderExceptionTrace     = HeaderPrefix + "exception.stacktrace"
)

// DLQRecord is a record for the dead letter queue: the original consumed
// record's key, value, headers and timestamp, plus the context headers when
// they are enabled. The writer chooses the partition from the key, as
// Kafka's producer does.
type DLQRecord struct {
	Key, Value []byte
	Headers    connectors.RawHeaders
	// Timestamp is the original record's; zero lets the producer stamp it.
	Timestamp time.Time
}

// DLQWriter writes records to the dead letter queue topic: the minimal
// interface the Operator needs. [DLQProducer] implements it with sarama.
// Implementations must be safe for concurrent use.
type DLQWriter interface {
	// Send hands rec over for writing. If it returns nil, done is called
	// exactly once later, from any goroutine, with nil when Kafka has
	// acknowledged the record or with the reason the write failed. If it
	// returns an error (ctx done, writer closed), done is not called. Send
	// may block while the writer's buffer is full. The writer may keep
	// rec's slices until done is called.
	Send(ctx context.Context, rec *DLQRecord, done func(error)) error
	// Close finishes the writes handed over (calling their done) and
	// releases the writer's resources.
	Close() error
}

// sendDLQ hands the original record of a failure to the dead letter queue.
func (o *Operator) sendDLQ(ctx context.Context, stage Stage, class string, rec *Context, err error) {
	o.stats.dlqRequests.Add(1)
	if !rec.consumed() {
		// Kafka has nothing to write either, and counts a failure.
		o.stats.dlqFailures.Add(1)
		o.log.Warn("cannot write to the dead letter queue: the failure is not about a consumed record",
			"task", o.cfg.TaskName(), "stage", stage.String(), "topic", o.cfg.DLQTopic)
		return
	}
	msg := o.dlqRecord(stage, class, rec, err)
	o.inflight.add()
	serr := ErrClosed
	if !o.closed.Load() {
		serr = o.dlq.Send(ctx, msg, o.dlqDone)
	}
	if serr != nil {
		o.finishDLQ(serr)
	}
}

// finishDLQ is called once per record handed to the dead letter queue,
// with the outcome of its write.
func (o *Operator) finishDLQ(err error) {
	if err != nil {
		o.stats.dlqFailures.Add(1)
		o.log.Error("could not produce a record to the dead letter queue",
			"task", o.cfg.TaskName(), "topic", o.cfg.DLQTopic, "error", err.Error())
		err = fmt.Errorf("%w: write to topic %s: %w", ErrDeadLetterQueue, o.cfg.DLQTopic, err)
	}
	o.inflight.done(err)
}

// dlqRecord builds the dead letter queue record of a failure: the original
// record, with the context headers appended to its own headers (which are
// copied, never modified).
func (o *Operator) dlqRecord(stage Stage, class string, rec *Context, err error) *DLQRecord {
	msg := &DLQRecord{Key: rec.Key, Value: rec.Value, Timestamp: rec.Timestamp}
	if !o.cfg.DLQContextHeaders {
		msg.Headers = rec.Headers
		return msg
	}
	h := make(connectors.RawHeaders, len(rec.Headers), len(rec.Headers)+10)
	copy(h, rec.Headers)
	h.Add(HeaderTopic, []byte(rec.Topic))
	h.Add(HeaderPartition, strconv.AppendInt(nil, int64(rec.Partition), 10))
	h.Add(HeaderOffset, strconv.AppendInt(nil, rec.Offset, 10))
	h.Add(HeaderConnectorName, []byte(o.cfg.Connector))
	h.Add(HeaderTaskID, strconv.AppendInt(nil, int64(o.cfg.Task), 10))
	h.Add(HeaderStage, []byte(stage.String()))
	h.Add(HeaderClassName, []byte(class))
	if err != nil {
		h.Add(HeaderExceptionClassName, []byte(exceptionClass(err)))
		h.Add(HeaderExceptionMessage, []byte(err.Error()))
		h.Add(HeaderExceptionTrace, []byte(errorChain(err)))
	}
	msg.Headers = h
	return msg
}

// inflight tracks the dead letter queue writes not yet acknowledged, and
// the first that failed.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil while n is 0
	err  error         // first failure; kept for good
}

func (f *inflight) add() {
	f.mu.Lock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
	f.mu.Unlock()
}

func (f *inflight) done(err error) {
	f.mu.Lock()
	if err != nil && f.err == nil {
		f.err = err
	}
	f.n--
	if f.n == 0 {
		close(f.idle)
		f.idle = nil
	}
	f.mu.Unlock()
}

// wait blocks until the writes pending when it was called (and any added
// meanwhile) are done, then returns the first failure ever seen.
func (f *inflight) wait(ctx context.Context) error {
	f.mu.Lock()
	idle := f.idle
	f.mu.Unlock()
	if idle != nil {
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("wait for dead letter queue writes: %w", context.Cause(ctx))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}
