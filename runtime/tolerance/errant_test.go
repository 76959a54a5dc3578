package tolerance

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"conflux/connectors"
)

// fakeTask stands for a sink task.
type fakeTask struct{}

func batch() ([]*connectors.Record, []Context) {
	originals := []Context{
		{Topic: "orders", Partition: 0, Offset: 5, Key: []byte("a"), Value: []byte("va")},
		{Topic: "orders", Partition: 0, Offset: 6, Key: []byte("b"), Value: []byte("vb")},
		{Topic: "orders", Partition: 3, Offset: 6, Key: []byte("c"), Value: []byte("vc")},
	}
	delivered := make([]*connectors.Record, len(originals))
	for i, o := range originals {
		delivered[i] = &connectors.Record{Topic: o.Topic, KafkaPartition: connectors.Partition(o.Partition), KafkaOffset: o.Offset, Value: string(o.Value)}
	}
	return delivered, originals
}

func TestErrantReporter(t *testing.T) {
	delivered, originals := batch()
	made := &connectors.Record{Topic: "orders", KafkaPartition: connectors.Partition(9), KafkaOffset: 1, Value: "made by the task"}
	encoded := Context{Topic: "orders", Partition: 9, Offset: 1, Value: []byte("encoded")}
	tests := []struct {
		name      string
		rec       *connectors.Record
		encode    EncodeFunc
		wantValue string // in the dead letter queue; "" = nothing written
	}{
		{"same pointer", delivered[1], nil, "vb"},
		{"copy found by coordinates", delivered[2].Copy(), nil, "vc"},
		{"made by the task, encoded", made, func(*connectors.Record) (Context, error) { return encoded, nil }, "encoded"},
		{"made by the task, no encoder", made, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			w := &fakeWriter{}
			op := newOp(t, Config{Connector: "s", Tolerance: ToleranceAll, LogEnable: true, DLQTopic: "dlq", DLQReplicationFactor: 1},
				WithDeadLetterQueue(w), WithLogger(textLogger(&logs)))
			rep := op.NewErrantReporter(&fakeTask{}, tt.encode)
			rep.SetBatch(delivered, originals)
			if err := rep.Report(t.Context(), tt.rec, errors.New("rejected")); err != nil {
				t.Fatalf("Report: %v", err)
			}
			sent := w.sent()
			if tt.wantValue == "" {
				if len(sent) != 0 || op.Stats().DLQProduceFailures != 1 {
					t.Errorf("sent %d records, stats %+v", len(sent), op.Stats())
				}
			} else if len(sent) != 1 || !bytes.Equal(sent[0].Value, []byte(tt.wantValue)) {
				t.Errorf("sent %v, want value %q", sent, tt.wantValue)
			}
			if !strings.Contains(logs.String(), "Executing stage 'TASK_PUT' with class '*conflux/runtime/tolerance.fakeTask'") {
				t.Errorf("log:\n%s", logs.String())
			}
			if st := op.Stats(); st.RecordFailures != 1 || st.RecordErrors != 0 || st.RecordsSkipped != 0 || st.ErrorsLogged != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestErrantReporterToleranceNone(t *testing.T) {
	w := &fakeWriter{}
	op := newOp(t, Config{Connector: "s", DLQTopic: "dlq", DLQReplicationFactor: 1}, WithDeadLetterQueue(w))
	delivered, originals := batch()
	rep := op.NewErrantReporter(&fakeTask{}, nil)
	rep.SetBatch(delivered, originals)
	cause := errors.New("rejected")
	err := rep.Report(t.Context(), delivered[0], cause)
	if !errors.Is(err, ErrToleranceExceeded) || !errors.Is(err, cause) {
		t.Fatalf("Report = %v, want ErrToleranceExceeded so that Put fails the task", err)
	}
	if len(w.sent()) != 1 {
		t.Errorf("Kafka writes the record to the dead letter queue before failing")
	}
}

func TestErrantReporterEdges(t *testing.T) {
	op := newOp(t, Config{Tolerance: ToleranceAll, LogEnable: true})
	if !op.ReportsErrantRecords() {
		t.Error("errors.log.enable alone should enable the reporter")
	}
	if newOp(t, Config{Tolerance: ToleranceAll}).ReportsErrantRecords() {
		t.Error("without log or dead letter queue Kafka gives tasks no reporter")
	}
	rep := op.NewErrantReporter(&fakeTask{}, func(*connectors.Record) (Context, error) { return Context{}, errors.New("no schema") })
	rec := &connectors.Record{Topic: "t"}
	if err := rep.Report(t.Context(), rec, errors.New("x")); err == nil || !strings.Contains(err.Error(), "no schema") {
		t.Errorf("an encoding failure must come back: %v", err)
	}
	if err := rep.Report(t.Context(), nil, errors.New("x")); err == nil {
		t.Error("a nil record must be refused")
	}
	rep = op.NewErrantReporter(&fakeTask{}, nil)
	if err := rep.Report(t.Context(), rec, nil); err != nil {
		t.Errorf("a nil error is reported as unknown, got %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("SetBatch with mismatched lengths must panic")
		}
	}()
	rep.SetBatch(make([]*connectors.Record, 2), make([]Context, 1))
}
