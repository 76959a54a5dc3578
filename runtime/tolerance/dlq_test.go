package tolerance

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"conflux/connectors"
)

// dlqOp is an operator writing to w, with context headers as asked.
func dlqOp(t *testing.T, w DLQWriter, headers bool, opts ...Option) *Operator {
	t.Helper()
	return newOp(t, Config{Connector: "pg-sink", Task: 4, Tolerance: ToleranceAll, DLQTopic: "dlq", DLQReplicationFactor: 1,
		DLQContextHeaders: headers}, append(opts, WithDeadLetterQueue(w))...)
}

func failValue(t *testing.T, op *Operator, rec *Context, err error) {
	t.Helper()
	skip, xerr := op.Execute(t.Context(), StageValueConverter, &fakeConverter{}, rec, func() error { return err })
	if !skip || xerr != nil {
		t.Fatalf("Execute = %v, %v; want skipped", skip, xerr)
	}
}

func TestDLQRecordContent(t *testing.T) {
	cause := &connectors.DataError{Msg: "Unknown magic byte!", Err: errors.New("short buffer")}
	wantContext := connectors.RawHeaders{
		{Key: "__connect.errors.topic", Value: []byte("orders")},
		{Key: "__connect.errors.partition", Value: []byte("2")},
		{Key: "__connect.errors.offset", Value: []byte("42")},
		{Key: "__connect.errors.connector.name", Value: []byte("pg-sink")},
		{Key: "__connect.errors.task.id", Value: []byte("4")},
		{Key: "__connect.errors.stage", Value: []byte("VALUE_CONVERTER")},
		{Key: "__connect.errors.class.name", Value: []byte("*conflux/runtime/tolerance.fakeConverter")},
		{Key: "__connect.errors.exception.class.name", Value: []byte("*conflux/connectors.DataError")},
		{Key: "__connect.errors.exception.message", Value: []byte("Unknown magic byte!")},
		{Key: "__connect.errors.exception.stacktrace", Value: []byte(
			"*conflux/connectors.DataError: Unknown magic byte!\nCaused by: *errors.errorString: short buffer")},
	}
	for _, headers := range []bool{false, true} {
		w := &fakeWriter{}
		op := dlqOp(t, w, headers)
		rec := consumedContext()
		failValue(t, op, rec, cause)
		if err := op.Flush(t.Context()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		sent := w.sent()
		if len(sent) != 1 {
			t.Fatalf("sent %d records", len(sent))
		}
		got := sent[0]
		if !bytes.Equal(got.Key, rec.Key) || !bytes.Equal(got.Value, rec.Value) || !got.Timestamp.Equal(rec.Timestamp) {
			t.Errorf("record %+v is not the original", got)
		}
		want := rec.Headers
		if headers {
			want = append(slices.Clone(rec.Headers), wantContext...)
		}
		if !equalHeaders(got.Headers, want) {
			t.Errorf("headers=%v:\n got  %s\n want %s", headers, showHeaders(got.Headers), showHeaders(want))
		}
		if len(rec.Headers) != 2 {
			t.Errorf("the original headers were modified: %v", rec.Headers)
		}
		if st := op.Stats(); st.DLQProduceRequests != 1 || st.DLQProduceFailures != 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

func equalHeaders(a, b connectors.RawHeaders) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !bytes.Equal(a[i].Value, b[i].Value) || (a[i].Value == nil) != (b[i].Value == nil) {
			return false
		}
	}
	return true
}

func showHeaders(h connectors.RawHeaders) string {
	var b strings.Builder
	for _, x := range h {
		b.WriteString(x.Key + "=" + string(x.Value) + "; ")
	}
	return b.String()
}

// TestFlushWaitsForAcks checks that Flush returns only once every record
// handed to the writer has been acknowledged.
func TestFlushWaitsForAcks(t *testing.T) {
	w := &fakeWriter{hold: true}
	op := dlqOp(t, w, false)
	failValue(t, op, consumedContext(), errors.New("bad"))
	failValue(t, op, consumedContext(), errors.New("bad"))

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if err := op.Flush(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush with writes pending and ctx done = %v, want context.Canceled", err)
	}
	flushed := make(chan error)
	go func() { flushed <- op.Flush(t.Context()) }()
	w.release(nil)
	if err := <-flushed; err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := op.Flush(cancelled); err != nil {
		t.Errorf("Flush with nothing pending = %v, want nil even with ctx done", err)
	}
}

func TestDLQWriteFailures(t *testing.T) {
	boom := errors.New("NOT_ENOUGH_REPLICAS")
	tests := []struct {
		name   string
		writer *fakeWriter
		close  bool // close the operator first
	}{
		{"acknowledgement fails", &fakeWriter{failWith: boom}, false},
		{"send refused", &fakeWriter{sendErr: boom}, false},
		{"operator closed", &fakeWriter{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			op := dlqOp(t, tt.writer, false, WithLogger(textLogger(&logs)))
			if tt.close {
				if err := op.Close(); err != nil {
					t.Fatal(err)
				}
			}
			// The record is still skipped: the failure shows at Flush.
			failValue(t, op, consumedContext(), errors.New("bad"))
			for range 2 { // the failure stays
				if err := op.Flush(t.Context()); !errors.Is(err, ErrDeadLetterQueue) {
					t.Fatalf("Flush = %v, want ErrDeadLetterQueue", err)
				}
			}
			if st := op.Stats(); st.DLQProduceRequests != 1 || st.DLQProduceFailures != 1 {
				t.Errorf("stats %+v", st)
			}
			if out := logs.String(); !strings.Contains(out, "could not produce a record to the dead letter queue") || strings.Contains(out, "s3cret") {
				t.Errorf("log:\n%s", out)
			}
		})
	}
}

func TestDLQNeedsConsumedRecord(t *testing.T) {
	w := &fakeWriter{}
	op := dlqOp(t, w, true)
	failValue(t, op, &Context{Record: &connectors.Record{Topic: "users"}}, errors.New("bad"))
	failValue(t, op, nil, errors.New("bad"))
	if len(w.sent()) != 0 {
		t.Errorf("records without a consumed form were sent")
	}
	if st := op.Stats(); st.DLQProduceRequests != 2 || st.DLQProduceFailures != 2 {
		t.Errorf("stats %+v; Kafka counts a request and a failure", st)
	}
	if err := op.Flush(t.Context()); err != nil {
		t.Errorf("Flush = %v: nothing was lost that could have been written", err)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	w := &fakeWriter{hold: true}
	op := dlqOp(t, w, false)
	failValue(t, op, consumedContext(), errors.New("bad"))
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	// The fake fails what it still held at Close.
	if err := op.Flush(t.Context()); !errors.Is(err, ErrDeadLetterQueue) || !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close = %v", err)
	}
}
