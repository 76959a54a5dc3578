package datagen

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"conflux/connectors"
)

// Source offset keys, Confluent's.
const (
	offsetGeneration = "task.generation"
	offsetIteration  = "current.iteration"
	offsetSeed       = "random.seed"
)

// pollBatch is the most records one Poll returns.
const pollBatch = 1000

// Task generates records. Create it with Connector.NewTask.
//
// Its source partition is {"task.id": N} and the offset stored with the
// last record of each poll is {"task.generation": G,
// "current.iteration": I, "random.seed": S} as in Confluent's connector:
// the state the next lifetime of the task starts from. I is the number of
// records generated so far (the iteration of the next record), S the
// task's seed, and G counts the task's lifetimes. On Start the task reads
// that offset and continues the exact sequence it would have produced
// without the restart.
type Task struct {
	clock clock // nil means the system clock

	s         *settings
	taskID    int
	seed      uint64
	iter      int64
	partition map[string]any
	genBoxed  any // next generation, boxed once
	seedBoxed any // seed, boxed once
	keyIndex  int // -1 for a null key
	keySchema *connectors.Schema
	log       *slog.Logger
	g         *genCtx
	pace      *pacer

	stopOnce sync.Once
	stop     chan struct{}
	doneLog  sync.Once
}

// Start implements connectors.SourceTask.
func (t *Task) Start(ctx context.Context, tctx connectors.SourceTaskContext, config map[string]string) error {
	s, err := parseSettings(config)
	if err != nil {
		return fmt.Errorf("datagen task: %w", err)
	}
	if t.clock == nil {
		t.clock = systemClock{}
	}
	t.s = s
	t.stop = make(chan struct{})
	if id, ok := config[KeyTaskID]; ok {
		if t.taskID, err = strconv.Atoi(id); err != nil || t.taskID < 0 {
			return fmt.Errorf("datagen task: bad %s %q", KeyTaskID, id)
		}
	}
	t.partition = map[string]any{KeyTaskID: int64(t.taskID)}
	t.log = slog.Default().With("connector", config["name"], "task", t.taskID)

	if s.seed != nil {
		t.seed = uint64(*s.seed) + uint64(t.taskID)
	} else {
		// Below 2^53, so the seed survives offset stores that decode JSON
		// numbers as float64.
		t.seed = rand.Uint64N(1 << 53)
	}
	generation := int64(0)
	if tctx != nil {
		off, err := tctx.Offset(ctx, t.partition)
		if err != nil {
			return fmt.Errorf("datagen task %d: read offset: %w", t.taskID, err)
		}
		if off != nil {
			gen, iter, seed, err := parseOffset(off)
			if err != nil {
				return fmt.Errorf("datagen task %d: %w", t.taskID, err)
			}
			generation, t.iter = gen, iter
			if s.seed != nil && uint64(seed) != t.seed {
				t.log.Warn("datagen: continuing with the seed of the stored offset, not random.seed",
					"stored", seed, "configured", int64(t.seed))
			}
			t.seed = uint64(seed)
		}
	}
	t.genBoxed = generation + 1
	t.seedBoxed = int64(t.seed)

	t.keyIndex = -1
	if s.keyField != "" {
		t.keyIndex = s.schema.schema.FieldIndex(s.keyField)
		t.keySchema = connectors.StringSchema
		if s.schema.schema.Fields[t.keyIndex].Schema.Optional {
			t.keySchema = connectors.OptionalStringSchema
		}
	}
	t.g = newGenCtx(t.clock.Now)
	t.pace = newPacer(s, t.clock, t.seed)
	return nil
}

// parseOffset reads a stored offset; numbers may come back from JSON as
// int64, float64 or json.Number.
func parseOffset(off map[string]any) (gen, iter, seed int64, err error) {
	vals := [3]int64{}
	for i, k := range []string{offsetGeneration, offsetIteration, offsetSeed} {
		v, ok := off[k]
		if !ok {
			return 0, 0, 0, fmt.Errorf("%w: no %s in %v", ErrBadOffset, k, off)
		}
		n, ok := asInt64(v)
		if !ok {
			return 0, 0, 0, fmt.Errorf("%w: %s is %v, not an integer", ErrBadOffset, k, v)
		}
		vals[i] = n
	}
	if vals[1] < 0 {
		return 0, 0, 0, fmt.Errorf("%w: negative %s %d", ErrBadOffset, offsetIteration, vals[1])
	}
	return vals[0], vals[1], vals[2], nil
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}

// Poll implements connectors.SourceTask. Unthrottled it returns up to 1000
// records at once; throttled, the records that are due. Once iterations
// records were generated it returns nothing and blocks until ctx is done or
// the task stops.
func (t *Task) Poll(ctx context.Context) ([]*connectors.Record, error) {
	n := pollBatch
	if t.s.iterations > 0 {
		left := t.s.iterations - t.iter
		if left <= 0 {
			t.doneLog.Do(func() {
				t.log.Info("datagen: task generated its configured number of records; idling",
					"iterations", t.s.iterations)
			})
			select {
			case <-ctx.Done():
			case <-t.stop:
			}
			return nil, nil
		}
		n = int(min(left, int64(n)))
	}
	if t.pace != nil {
		if n = t.pace.take(ctx, t.stop, n); n == 0 {
			return nil, nil
		}
	}
	return t.generate(n)
}

// generate makes the next n records. Records are allocated in one block.
// A panicking generator (a gofakeit function given parameters it cannot
// handle) fails the task instead of the worker.
func (t *Task) generate(n int) (_ []*connectors.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: record %d of task %d: panic: %v", ErrGenerate, t.iter, t.taskID, p)
		}
	}()
	block := make([]connectors.Record, n)
	out := make([]*connectors.Record, n)
	sch := t.s.schema
	for i := range block {
		t.g.seedFor(t.seed, t.iter)
		value := sch.root.gen(t.g)
		if t.g.err != nil {
			return nil, fmt.Errorf("%w: record %d of task %d: %v", ErrGenerate, t.iter, t.taskID, t.g.err)
		}
		r := &block[i]
		r.Topic = t.s.topic
		r.ValueSchema = sch.schema
		r.Value = value
		if t.keyIndex >= 0 {
			r.KeySchema = t.keySchema
			r.Key = keyString(value.(*connectors.Struct).At(t.keyIndex))
		}
		r.SourcePartition = t.partition
		out[i] = r
		t.iter++
	}
	// Only the last record carries the offset: the runtime commits it once
	// every record before it is acknowledged too, and a restart resumes
	// after it. Building and checking an offset map per record cost more
	// than generating some records.
	if n > 0 {
		out[n-1].SourceOffset = map[string]any{
			offsetGeneration: t.genBoxed,
			offsetIteration:  t.iter,
			offsetSeed:       t.seedBoxed,
		}
	}
	return out, nil
}

// keyString renders a key field's value as the string key, as Confluent's
// connector does with toString; a string value is reused as is, so that
// its boxed form is not allocated again.
func keyString(v any) any {
	switch x := v.(type) {
	case nil, string:
		return v
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return strconv.FormatInt(x.UnixMilli(), 10)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// Commit implements connectors.SourceTask; there is nothing to acknowledge.
func (t *Task) Commit(context.Context) error { return nil }

// Stop implements connectors.SourceTask: it wakes a Poll that waits.
func (t *Task) Stop() error {
	t.stopOnce.Do(func() {
		if t.stop != nil {
			close(t.stop)
		}
	})
	return nil
}
