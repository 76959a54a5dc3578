package tolerance

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"conflux/connectors"
)

// TestToleranceByStage checks Kafka's rules: converters and transforms
// tolerate any error under errors.tolerance=all; the other stages only
// retriable ones; none tolerates nothing.
func TestToleranceByStage(t *testing.T) {
	errs := map[string]error{
		"plain":     errors.New("boom"),
		"data":      connectors.DataErrorf("Converting byte[] to Kafka Connect data failed due to serialization error"),
		"retriable": connectors.Retriable(errors.New("timeout")),
	}
	type outcome int
	const (
		skipped outcome = iota
		exceeded
		unhandled
	)
	tolerant := []Stage{StageKeyConverter, StageValueConverter, StageHeaderConverter, StageTransformation}
	strict := []Stage{StageTaskPut, StageTaskPoll, StageKafkaProduce, StageKafkaConsume}
	type tc struct {
		stage     Stage
		tolerance Tolerance
		errKind   string
		want      outcome
	}
	var tests []tc
	for _, s := range tolerant {
		for kind := range errs {
			tests = append(tests, tc{s, ToleranceAll, kind, skipped}, tc{s, ToleranceNone, kind, exceeded})
		}
	}
	for _, s := range strict {
		tests = append(tests,
			tc{s, ToleranceAll, "retriable", skipped}, tc{s, ToleranceNone, "retriable", exceeded},
			tc{s, ToleranceAll, "plain", unhandled}, tc{s, ToleranceNone, "plain", unhandled},
			tc{s, ToleranceAll, "data", unhandled}, tc{s, ToleranceNone, "data", unhandled})
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s", tt.stage, tt.tolerance, tt.errKind), func(t *testing.T) {
			clock := newFakeClock()
			op := newOp(t, Config{Tolerance: tt.tolerance}, WithClock(clock))
			cause := errs[tt.errKind]
			skip, err := op.Execute(t.Context(), tt.stage, &fakeConverter{}, consumedContext(), func() error { return cause })
			var want error
			switch tt.want {
			case skipped:
				if !skip || err != nil {
					t.Fatalf("Execute = %v, %v; want skipped", skip, err)
				}
			case exceeded:
				want = ErrToleranceExceeded
			case unhandled:
				want = ErrUnhandled
			}
			if want != nil {
				var te *Error
				if skip || !errors.Is(err, want) || !errors.Is(err, cause) || !errors.As(err, &te) {
					t.Fatalf("Execute = %v, %v; want an *Error of kind %v wrapping the cause", skip, err, want)
				}
				if te.Stage != tt.stage || te.Class != "*conflux/runtime/tolerance.fakeConverter" {
					t.Errorf("error names stage %s class %s", te.Stage, te.Class)
				}
			}
			st := op.Stats()
			wantSkipped := int64(0)
			if tt.want == skipped {
				wantSkipped = 1
			}
			if st.RecordFailures != 1 || st.RecordErrors != 1 || st.RecordsSkipped != wantSkipped || st.Retries != 0 {
				t.Errorf("stats %+v", st)
			}
			if st.LastErrorTimestamp != clock.Now().UnixMilli() {
				t.Errorf("last error timestamp %d, want %d", st.LastErrorTimestamp, clock.Now().UnixMilli())
			}
		})
	}
}

func TestExecuteSuccess(t *testing.T) {
	op := newOp(t, Config{Tolerance: ToleranceAll, RetryTimeout: RetryForever, LogEnable: true})
	calls := 0
	skip, err := op.Execute(t.Context(), StageTransformation, &fakeConverter{}, consumedContext(), func() error {
		calls++
		return nil
	})
	if skip || err != nil || calls != 1 {
		t.Fatalf("Execute = %v, %v after %d calls", skip, err, calls)
	}
	if st := op.Stats(); st != (Stats{}) {
		t.Errorf("stats %+v, want zero", st)
	}
}

func TestErrorText(t *testing.T) {
	op := newOp(t, Config{})
	_, err := op.Execute(t.Context(), StageValueConverter, "org.example.Converter", nil, func() error {
		return errors.New("bad bytes")
	})
	want := "Tolerance exceeded in error handler (stage VALUE_CONVERTER, class org.example.Converter): bad bytes"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant   %s", err, want)
	}
}

func TestFailed(t *testing.T) {
	cause := errors.New("row rejected by the database")
	for _, tol := range []Tolerance{ToleranceAll, ToleranceNone} {
		t.Run(tol.String(), func(t *testing.T) {
			w := &fakeWriter{}
			op := newOp(t, Config{Tolerance: tol, DLQTopic: "dlq", DLQReplicationFactor: 1}, WithDeadLetterQueue(w))
			err := op.Failed(t.Context(), StageTaskPut, "SinkTask", consumedContext(), cause)
			st := op.Stats()
			if tol == ToleranceAll {
				if err != nil || st.RecordErrors != 0 {
					t.Fatalf("Failed = %v, stats %+v; want nil and no error counted", err, st)
				}
			} else if !errors.Is(err, ErrToleranceExceeded) || !errors.Is(err, cause) || st.RecordErrors != 1 {
				t.Fatalf("Failed = %v, stats %+v; want ErrToleranceExceeded", err, st)
			}
			// Reported whatever the tolerance, as Kafka does.
			if len(w.sent()) != 1 || st.RecordFailures != 1 || st.DLQProduceRequests != 1 || st.RecordsSkipped != 0 {
				t.Errorf("sent %d, stats %+v", len(w.sent()), st)
			}
		})
	}
}

func TestNamesAndChain(t *testing.T) {
	if got := className(&fakeConverter{}); got != "*conflux/runtime/tolerance.fakeConverter" {
		t.Errorf("className = %s", got)
	}
	if got := className(nil); got != "unknown" {
		t.Errorf("className(nil) = %s", got)
	}
	data := &connectors.DataError{Msg: "bad json", Err: errors.New("unexpected EOF")}
	err := fmt.Errorf("convert value: %w", data)
	if got := exceptionClass(err); got != "*conflux/connectors.DataError" {
		t.Errorf("exceptionClass = %s", got)
	}
	if got := exceptionClass(errors.New("x")); got != "*errors.errorString" {
		t.Errorf("exceptionClass = %s", got)
	}
	want := strings.Join([]string{
		"*fmt.wrapError: convert value: bad json",
		"Caused by: *conflux/connectors.DataError: bad json",
		"Caused by: *errors.errorString: unexpected EOF",
	}, "\n")
	if got := errorChain(err); got != want {
		t.Errorf("errorChain =\n%s\nwant\n%s", got, want)
	}
	joined := errors.Join(errors.New("a"), errors.New("b"))
	if got := errorChain(joined); got != "*errors.joinError: a\nb\nCaused by: *errors.errorString: a\nCaused by: *errors.errorString: b" {
		t.Errorf("errorChain(join) = %q", got)
	}
	for s := Stage(0); s <= StageKafkaConsume+1; s++ {
		if s.String() == "" {
			t.Errorf("stage %d has no name", s)
		}
	}
	if StageKafkaConsume.String() != "KAFKA_CONSUME" || Stage(0).String() != "UNKNOWN" {
		t.Errorf("stage names wrong")
	}
}
