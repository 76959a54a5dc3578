package tolerance

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

// Operator runs one task's per-record operations with Kafka Connect's error
// handling (RetryWithToleranceOperator with its log and dead letter queue
// reporters). It is safe for concurrent use; all its state is the counters
// and the dead letter queue writes in flight.
type Operator struct {
	cfg    Config
	log    *slog.Logger
	clock  Clock
	jitter func(n int64) int64
	dlq    DLQWriter

	stats    counters
	inflight inflight
	dlqDone  func(error) // o.finishDLQ, made once

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
}

// Option changes how New builds an Operator.
type Option func(*options)

type options struct {
	log    *slog.Logger
	clock  Clock
	jitter func(n int64) int64
	dlq    DLQWriter
}

// WithLogger sets the logger failures are logged to (errors.log.enable)
// and the operator's own warnings go to. The default discards everything.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock replaces the system clock, for tests.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithJitter replaces the random source of the capped backoff: f(n) must
// return a value in [0, n). For tests.
func WithJitter(f func(n int64) int64) Option { return func(o *options) { o.jitter = f } }

// WithDeadLetterQueue gives the operator the writer of Config.DLQTopic.
// The operator owns it from then on and closes it in Close. [Open] makes
// one with sarama; tests may pass a fake.
func WithDeadLetterQueue(w DLQWriter) Option { return func(o *options) { o.dlq = w } }

func buildOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.clock == nil {
		o.clock = realClock{}
	}
	if o.jitter == nil {
		o.jitter = rand.Int64N
	}
	return o
}

// New returns an Operator for cfg. It does no I/O: when cfg.DLQTopic is
// set, the dead letter queue writer must come with [WithDeadLetterQueue]
// (use [Open] to have it made). On error a writer passed in is closed.
func New(cfg Config, opts ...Option) (*Operator, error) {
	o := buildOptions(opts)
	err := cfg.validate()
	switch {
	case err != nil:
	case cfg.DLQTopic != "" && o.dlq == nil:
		err = fmt.Errorf("%w: dead letter queue topic %q is set but no writer was given", ErrInvalidConfig, cfg.DLQTopic)
	case cfg.DLQTopic == "" && o.dlq != nil:
		err = fmt.Errorf("%w: a dead letter queue writer was given but no topic is set", ErrInvalidConfig)
	}
	if err != nil {
		if o.dlq != nil {
			_ = o.dlq.Close()
		}
		return nil, err
	}
	op := &Operator{cfg: cfg, log: o.log, clock: o.clock, jitter: o.jitter, dlq: o.dlq}
	op.dlqDone = op.finishDLQ
	return op, nil
}

// Open is New for a task connected to Kafka: when cfg.DLQTopic is set, it
// first opens the dead letter queue with [OpenDLQ] on brokers (creating the
// topic with one partition and cfg.DLQReplicationFactor if it does not
// exist), using sc as the base sarama configuration (nil for defaults).
// ctx bounds the setup only. A writer given with WithDeadLetterQueue is
// used instead of opening one.
func Open(ctx context.Context, cfg Config, brokers []string, sc *sarama.Config, opts ...Option) (*Operator, error) {
	o := buildOptions(opts)
	if cfg.DLQTopic == "" || o.dlq != nil {
		return New(cfg, opts...)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	w, err := OpenDLQ(ctx, DLQConfig{
		Brokers:           brokers,
		Topic:             cfg.DLQTopic,
		ReplicationFactor: cfg.DLQReplicationFactor,
		ClientID:          "connector-dlq-producer-" + cfg.TaskName(),
		Sarama:            sc,
		Logger:            o.log,
	})
	if err != nil {
		return nil, err
	}
	return New(cfg, append(opts, WithDeadLetterQueue(w))...)
}

// Config returns the operator's configuration.
func (o *Operator) Config() Config { return o.cfg }

// Tolerance returns errors.tolerance. A source loop checks it before
// reporting a producer failure, as Kafka does: with none the task fails at
// once.
func (o *Operator) Tolerance() Tolerance { return o.cfg.Tolerance }

// ReportsErrantRecords reports whether the sink loop should give its task
// an [ErrantReporter]: only when failures are logged or sent to a dead
// letter queue, as in Kafka. Otherwise SinkTaskContext.ErrantRecordReporter
// returns nil and the task fails by itself.
func (o *Operator) ReportsErrantRecords() bool { return o.cfg.LogEnable || o.dlq != nil }

// Stats returns the current counters.
func (o *Operator) Stats() Stats { return o.stats.snapshot() }

// Execute runs fn, one operation of stage on the record rec by component,
// with retries and tolerance. component is what fn calls (a converter, a
// transformation, the task): its Go type, or the string itself if it is a
// string, is the class that logs and dead letter queue headers name.
//
//   - fn succeeds, at once or after retries: skip=false, err=nil.
//   - fn fails with a retriable error (connectors.ErrRetriable): it is run
//     again after a backoff (see [Config]) until it succeeds or
//     RetryTimeout is used up; then the last error is handled as below.
//   - fn fails for good: the failure is logged (errors.log.enable) and
//     rec goes to the dead letter queue if there is one, whatever the
//     tolerance, as in Kafka. Then, if the stage tolerates the error
//     (converters and transformations: any error; other stages: retriable
//     errors only) and errors.tolerance=all, skip=true and err=nil: the
//     caller drops the record and goes on. Otherwise err is an [*Error]
//     (ErrUnhandled or ErrToleranceExceeded) and the task must fail.
//   - ctx is done while waiting to retry: err wraps context.Cause(ctx) and
//     the last error, nothing is reported, and the task should stop
//     without committing the record.
//
// When fn succeeds at once Execute does not allocate (pass component as a
// pointer or a string, which box for free) and, with no retries
// configured, does not even read the clock. fn and rec are not retained.
func (o *Operator) Execute(ctx context.Context, stage Stage, component any, rec *Context, fn func() error) (skip bool, err error) {
	var start time.Time
	if o.cfg.RetryTimeout != 0 {
		start = o.clock.Now()
	}
	if err = fn(); err == nil {
		return false, nil
	}
	return o.handleFailure(ctx, stage, component, rec, fn, err, start)
}

// handleFailure handles a failed first attempt: the slow path of Execute.
func (o *Operator) handleFailure(ctx context.Context, stage Stage, component any, rec *Context, fn func() error, err error, start time.Time) (bool, error) {
	for attempt := 1; ; attempt++ {
		o.stats.failures.Add(1)
		if !isRetriable(err) {
			break
		}
		d, ok := o.retryDelay(attempt, start, err)
		if !ok {
			break
		}
		o.log.Debug("retrying failed operation", "task", o.cfg.TaskName(), "stage", stage.String(), "attempt", attempt, "delay", d)
		if serr := o.clock.Sleep(ctx, d); serr != nil {
			return false, fmt.Errorf("%s operation stopped while retrying: %w (last error: %w)", stage, serr, err)
		}
		o.stats.retries.Add(1)
		if err = fn(); err == nil {
			return false, nil
		}
	}
	o.markFailed()
	class := className(component)
	o.report(ctx, stage, class, rec, err)
	o.stats.errors.Add(1)
	if !stage.toleratesAny() && !isRetriable(err) {
		return false, &Error{Kind: ErrUnhandled, Stage: stage, Class: class, Err: err}
	}
	if o.cfg.Tolerance != ToleranceAll {
		return false, &Error{Kind: ErrToleranceExceeded, Stage: stage, Class: class, Err: err}
	}
	o.stats.skipped.Add(1)
	return true, nil
}

// Failed handles a failure that happened outside Execute (Kafka's
// executeFailed): an errant record a sink task reported (StageTaskPut, see
// [ErrantReporter]) or a record the producer could not write
// (StageKafkaProduce). The failure is logged and sent to the dead letter
// queue as configured; then Failed returns nil under errors.tolerance=all,
// whatever the error, and an [*Error] wrapping ErrToleranceExceeded under
// none. It returns once the record is handed to the dead letter queue
// writer; [Operator.Flush] waits for the write.
func (o *Operator) Failed(ctx context.Context, stage Stage, component any, rec *Context, err error) error {
	o.markFailed()
	o.stats.failures.Add(1)
	class := className(component)
	o.report(ctx, stage, class, rec, err)
	if o.cfg.Tolerance != ToleranceAll {
		o.stats.errors.Add(1)
		return &Error{Kind: ErrToleranceExceeded, Stage: stage, Class: class, Err: err}
	}
	return nil
}

// markFailed notes a failure for good.
func (o *Operator) markFailed() {
	o.stats.lastError.Store(o.clock.Now().UnixMilli())
}

// report sends a failure to the reporters: the log and the dead letter queue.
func (o *Operator) report(ctx context.Context, stage Stage, class string, rec *Context, err error) {
	if o.dlq != nil {
		o.sendDLQ(ctx, stage, class, rec, err)
	}
	if o.cfg.LogEnable {
		o.logFailure(ctx, stage, class, rec, err)
		o.stats.logged.Add(1)
	}
}

// Flush waits until every record handed to the dead letter queue so far has
// been acknowledged by Kafka (acks=all), or ctx is done. The sink loop calls
// it before committing consumer offsets. It returns an error wrapping
// ErrDeadLetterQueue if any write has failed since the operator was made:
// the offsets must then not be committed, and the task should fail. Without
// a dead letter queue it returns nil at once.
func (o *Operator) Flush(ctx context.Context) error {
	return o.inflight.wait(ctx)
}

// Close closes the dead letter queue writer, which first writes what it was
// handed. It is idempotent; Execute keeps working afterwards, but records
// can no longer reach the dead letter queue (each such attempt counts as a
// failed write).
func (o *Operator) Close() error {
	o.closeOnce.Do(func() {
		o.closed.Store(true)
		if o.dlq != nil {
			o.closeErr = o.dlq.Close()
		}
	})
	return o.closeErr
}
