package tolerance

import (
	"context"
	"testing"
	"time"

	"conflux/connectors"
)

// benchConverter returns a prepared value, so that the benchmark measures
// the operator rather than a converter.
type benchConverter struct{ value any }

func (c *benchConverter) ToConnectData(topic string, headers connectors.RawHeaders, data []byte) (*connectors.Schema, any, error) {
	return connectors.StringSchema, c.value, nil
}

// convertOne is what a sink loop does per record and converter: a Context
// on the stack, a closure capturing the results.
func convertOne(ctx context.Context, op *Operator, conv *benchConverter, m *Context) (any, error) {
	c := Context{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Timestamp: m.Timestamp, Key: m.Key, Value: m.Value, Headers: m.Headers}
	var schema *connectors.Schema
	var value any
	skip, err := op.Execute(ctx, StageValueConverter, conv, &c, func() (err error) {
		schema, value, err = conv.ToConnectData(c.Topic, c.Headers, c.Value)
		return err
	})
	if skip || err != nil || schema == nil {
		return nil, err
	}
	return value, nil
}

var benchConfigs = []struct {
	name string
	cfg  Config
}{
	{"defaults", Config{Connector: "bench"}},
	{"retries-tolerance-all-log-dlq", Config{Connector: "bench", RetryTimeout: 30 * time.Second, RetryDelayMax: time.Minute,
		Tolerance: ToleranceAll, LogEnable: true, DLQTopic: "dlq", DLQReplicationFactor: 1, DLQContextHeaders: true}},
}

func benchOp(t testing.TB, cfg Config) *Operator {
	var opts []Option
	if cfg.DLQTopic != "" {
		opts = append(opts, WithDeadLetterQueue(&fakeWriter{}))
	}
	op, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	return op
}

// TestExecuteSuccessDoesNotAllocate guards the per-record cost: the worker
// calls Execute several times per record at hundreds of thousands of
// records per second.
func TestExecuteSuccessDoesNotAllocate(t *testing.T) {
	for _, bc := range benchConfigs {
		op := benchOp(t, bc.cfg)
		conv := &benchConverter{value: "v"}
		m := consumedContext()
		ctx := t.Context()
		if n := testing.AllocsPerRun(1000, func() {
			if _, err := convertOne(ctx, op, conv, m); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per successful Execute, want 0", bc.name, n)
		}
	}
}

func BenchmarkExecuteSuccess(b *testing.B) {
	for _, bc := range benchConfigs {
		b.Run(bc.name, func(b *testing.B) {
			op := benchOp(b, bc.cfg)
			conv := &benchConverter{value: "v"}
			m := consumedContext()
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := convertOne(ctx, op, conv, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
