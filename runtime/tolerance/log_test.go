package tolerance

import (
	"errors"
	"strings"
	"testing"

	"conflux/connectors"
)

var secrets = []string{"s3cret-key", "s3cret-value", "s3cret-header"}

func TestLogConsumedRecord(t *testing.T) {
	const header = "Error encountered in task pg-sink-1. Executing stage 'VALUE_CONVERTER' with class " +
		"'*conflux/runtime/tolerance.fakeConverter', where consumed record is {topic='orders', partition=2, offset=42, " +
		"timestamp=1714564800123, timestampType=CreateTime}."
	tests := []struct {
		name            string
		enable, include bool
		want, notWant   []string
	}{
		{name: "disabled", notWant: []string{"Error encountered"}},
		{name: "coordinates only", enable: true,
			want: []string{header, "connector=pg-sink", "task=1", "stage=VALUE_CONVERTER", "topic=orders", "partition=2", "offset=42",
				`error="bad json"`, "exception=*errors.errorString", "level=ERROR"},
			notWant: append([]string{"key=", "value=", "headers="}, secrets...)},
		{name: "with messages", enable: true, include: true,
			want: []string{header, "key=s3cret-key", `value="{\"card\":\"s3cret-value\"}"`, `headers="[trace=s3cret-header, empty=null]"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			op := newOp(t, Config{Connector: "pg-sink", Task: 1, Tolerance: ToleranceAll, LogEnable: tt.enable, LogIncludeMessages: tt.include},
				WithLogger(textLogger(&logs)))
			skip, err := op.Execute(t.Context(), StageValueConverter, &fakeConverter{}, consumedContext(), func() error {
				return errors.New("bad json")
			})
			if !skip || err != nil {
				t.Fatalf("Execute = %v, %v", skip, err)
			}
			out := logs.String()
			for _, s := range tt.want {
				if !strings.Contains(out, s) {
					t.Errorf("log lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(out, s) {
					t.Errorf("log contains %q:\n%s", s, out)
				}
			}
			wantLogged := int64(0)
			if tt.enable {
				wantLogged = 1
			}
			if got := op.Stats().ErrorsLogged; got != wantLogged {
				t.Errorf("errors logged %d, want %d", got, wantLogged)
			}
		})
	}
}

func TestLogSourceRecord(t *testing.T) {
	rec := &connectors.Record{
		Topic:           "users",
		Key:             "s3cret-key",
		Value:           map[string]any{"ssn": "s3cret-value"},
		Headers:         connectors.Headers{{Key: "origin", Value: "s3cret-header"}},
		SourcePartition: map[string]any{"table": "users"},
		SourceOffset:    map[string]any{"lsn": int64(77)},
	}
	for _, include := range []bool{false, true} {
		var logs syncBuffer
		op := newOp(t, Config{Connector: "pg", Tolerance: ToleranceAll, LogEnable: true, LogIncludeMessages: include},
			WithLogger(textLogger(&logs)))
		if _, err := op.Execute(t.Context(), StageTransformation, &fakeConverter{}, &Context{Record: rec}, func() error {
			return errors.New("field missing")
		}); err != nil {
			t.Fatal(err)
		}
		out := logs.String()
		if !strings.Contains(out, "where record is {topic='users', sourcePartition=map[table:users], sourceOffset=map[lsn:77]}.") {
			t.Errorf("include=%v: log lacks the source coordinates:\n%s", include, out)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) != include {
				t.Errorf("include=%v: presence of %q is %v:\n%s", include, s, !include, out)
			}
		}
	}
}

func TestLogWithoutRecord(t *testing.T) {
	var logs syncBuffer
	op := newOp(t, Config{Connector: "c", LogEnable: true}, WithLogger(textLogger(&logs)))
	_, err := op.Execute(t.Context(), StageTaskPoll, "SourceTask", nil, func() error { return errors.New("gone") })
	if !errors.Is(err, ErrUnhandled) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(logs.String(), "Executing stage 'TASK_POLL' with class 'SourceTask'.") {
		t.Errorf("log:\n%s", logs.String())
	}
}

func TestRawValue(t *testing.T) {
	for in, want := range map[string]string{"": "", "héllo": "héllo", "\xff\x00": "0xff00"} {
		if got := rawValue([]byte(in)).String(); got != want {
			t.Errorf("rawValue(%q) = %q, want %q", in, got, want)
		}
	}
	if got := rawValue(nil).String(); got != "null" {
		t.Errorf("rawValue(nil) = %q", got)
	}
}
