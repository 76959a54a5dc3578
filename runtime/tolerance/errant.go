package tolerance

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"conflux/connectors"
)

// EncodeFunc turns a record a sink task made itself (not one of the records
// it was given) into the consumed form the dead letter queue takes, with the
// task's converters, as Kafka does for such records: topic, partition and
// offset from the record, key and value from the key and value converters,
// headers from the header converter.
type EncodeFunc func(rec *connectors.Record) (Context, error)

// ErrantReporter is the connectors.ErrantRecordReporter a sink loop gives
// its task (Kafka's WorkerErrantRecordReporter). A reported record is
// handled by [Operator.Failed] at StageTaskPut, with the original consumed
// record found from the current batch; under errors.tolerance=none Report
// returns the error that Put should return.
//
// Report may be called from any goroutine; the sink loop calls SetBatch
// before each Put and Operator.Flush before committing offsets.
type ErrantReporter struct {
	op     *Operator
	task   any
	encode EncodeFunc

	mu        sync.Mutex
	delivered []*connectors.Record
	originals []Context
}

// NewErrantReporter returns the reporter for the sink task task (named as
// the failing class in logs and headers). encode handles records the task
// made itself; with nil, such records are logged with their coordinates but
// cannot go to the dead letter queue.
func (o *Operator) NewErrantReporter(task any, encode EncodeFunc) *ErrantReporter {
	return &ErrantReporter{op: o, task: task, encode: encode}
}

// SetBatch tells the reporter which records the next Put delivers and the
// consumed record each came from: originals[i] is the original of
// delivered[i]. The slices are kept, not copied: the sink loop must leave
// them alone until the next SetBatch (SetBatch(nil, nil) lets go of them).
// It panics if the lengths differ.
func (r *ErrantReporter) SetBatch(delivered []*connectors.Record, originals []Context) {
	if len(delivered) != len(originals) {
		panic(fmt.Sprintf("tolerance: SetBatch with %d records and %d originals", len(delivered), len(originals)))
	}
	r.mu.Lock()
	r.delivered, r.originals = delivered, originals
	r.mu.Unlock()
}

// Report implements connectors.ErrantRecordReporter. The original of rec is
// the batch record that is rec itself, else the one with rec's topic,
// partition and offset (a task may report a copy); failing both, rec is
// encoded with the EncodeFunc. A nil err is reported as an unknown failure.
func (r *ErrantReporter) Report(ctx context.Context, rec *connectors.Record, err error) error {
	if rec == nil {
		return errors.New("errant record reporter: nil record")
	}
	if err == nil {
		err = errors.New("errant record reported without an error")
	}
	orig, ok := r.original(rec)
	if !ok {
		if r.encode != nil {
			c, eerr := r.encode(rec)
			if eerr != nil {
				return fmt.Errorf("errant record reporter: convert record of %s: %w", rec.TopicPartition(), eerr)
			}
			orig = c
		} else {
			orig = Context{Record: rec}
		}
	}
	return r.op.Failed(ctx, StageTaskPut, r.task, &orig, err)
}

// original finds rec's consumed record in the current batch.
func (r *ErrantReporter) original(rec *connectors.Record) (Context, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, d := range r.delivered {
		if d == rec {
			return r.originals[i], true
		}
	}
	tp := rec.TopicPartition()
	for i, d := range r.delivered {
		if d != nil && d.KafkaOffset == rec.KafkaOffset && d.TopicPartition() == tp {
			return r.originals[i], true
		}
	}
	return Context{}, false
}

var _ connectors.ErrantRecordReporter = (*ErrantReporter)(nil)
