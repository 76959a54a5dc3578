package file

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"conflux/connectors"
)

func TestRegistered(t *testing.T) {
	for name, want := range map[string]string{
		"file-sink": "file-sink", "org.apache.kafka.connect.file.FileStreamSinkConnector": "file-sink",
		"FileStreamSinkConnector": "file-sink", "FileStreamSink": "file-sink",
		"file-source": "file-source", "org.apache.kafka.connect.file.FileStreamSourceConnector": "file-source",
		"FileStreamSourceConnector": "file-source", "FileStreamSource": "file-source",
	} {
		p, err := connectors.Lookup(name)
		if err != nil || p.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, p.Name, err, want)
		}
	}
}

var usersSchema = connectors.StructSchema().Name("ksql.users").
	Field("registertime", connectors.Int64Schema).
	Field("userid", connectors.StringSchema).
	Field("regionid", connectors.StringSchema).
	Field("gender", connectors.StringSchema).
	MustBuild()

func userRecord(i int) *connectors.Record {
	s := connectors.NewStruct(usersSchema).
		Put("registertime", int64(1491410462302+i)).
		Put("userid", "User_"+strconv.Itoa(i%9+1)).
		Put("regionid", "Region_"+strconv.Itoa(i%7+1)).
		Put("gender", []string{"MALE", "FEMALE", "OTHER"}[i%3])
	return &connectors.Record{Topic: "users", KafkaPartition: connectors.Partition(0), KafkaOffset: int64(i),
		ValueSchema: usersSchema, Value: s}
}

func startSink(t *testing.T, path string) *SinkTask {
	t.Helper()
	task := &SinkTask{}
	if err := task.Start(context.Background(), nil, map[string]string{KeyFile: path, "topics": "users"}); err != nil {
		t.Fatal(err)
	}
	return task
}

func TestSinkWritesLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(path, []byte("existing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	task := startSink(t, path)

	nested := connectors.StructSchema().Name("n").
		Field("ts", connectors.TimestampSchema().MustBuild()).
		Field("day", connectors.DateSchema().MustBuild()).
		Field("price", connectors.DecimalSchema(2).MustBuild()).
		Field("blob", connectors.BytesSchema).
		Field("tags", connectors.ArraySchema(connectors.StringSchema).MustBuild()).
		Field("attrs", connectors.MapSchema(connectors.StringSchema, connectors.Int32Schema).MustBuild()).
		Field("opt", connectors.OptionalStringSchema).
		Field("def", connectors.NewSchemaBuilder(connectors.TypeInt32).Optional().Default(int32(7)).MustBuild()).
		MustBuild()
	ts := time.UnixMilli(1700000000123).UTC()
	st := connectors.NewStruct(nested).
		Put("ts", ts).Put("day", connectors.DateFromEpochDays(19000)).
		Put("price", connectors.NewDecimal(big.NewInt(-12345), 2)).
		Put("blob", []byte{0, 1, 2}).Put("tags", []any{"a", "b\"c"}).
		Put("attrs", map[string]any{"z": int32(1), "a": int32(2)})

	records := []*connectors.Record{
		{Value: "plain string", ValueSchema: connectors.StringSchema},
		{Value: []byte("raw bytes")},
		{Value: nil},
		{Value: int64(42)},
		{Value: 1.5},
		{Value: true},
		{Value: "tab\tand unicode é"},
		userRecord(1),
		{Value: st, ValueSchema: nested},
		{Value: map[string]any{"b": []any{int64(1), nil}, "a": "x\n"}},
		{Value: map[any]any{int32(2): "two", int32(1): "one"}},
		{Value: math.NaN()},
	}
	if err := task.Put(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"existing",
		"plain string",
		"raw bytes",
		"null",
		"42",
		"1.5",
		"true",
		"tab\tand unicode é",
		`{"registertime":1491410462303,"userid":"User_2","regionid":"Region_2","gender":"FEMALE"}`,
		`{"ts":1700000000123,"day":19000,"price":-123.45,"blob":"AAEC","tags":["a","b\"c"],"attrs":{"a":2,"z":1},"opt":null,"def":7}`,
		`{"a":"x\n","b":[1,null]}`,
		`[[1,"one"],[2,"two"]]`,
		`"NaN"`,
	}
	// Put writes at once; PreCommit makes it durable.
	got, _ := os.ReadFile(path)
	if lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n"); strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("file:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, line := range want[8:] {
		if !json.Valid([]byte(line)) {
			t.Errorf("not JSON: %s", line)
		}
	}
	offsets := map[connectors.TopicPartition]int64{{Topic: "users", Partition: 0}: 12}
	got2, err := task.PreCommit(context.Background(), offsets)
	if err != nil || got2[connectors.TopicPartition{Topic: "users", Partition: 0}] != 12 {
		t.Fatalf("PreCommit = %v, %v", got2, err)
	}
	if err := task.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestSinkLargeBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	task := startSink(t, path)
	const batches, size = 5, 40000 // 200k lines, over the flush threshold per batch
	for b := range batches {
		recs := make([]*connectors.Record, size)
		for i := range recs {
			recs[i] = &connectors.Record{Value: "line " + strconv.Itoa(b*size+i)}
		}
		if err := task.Put(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
	}
	if err := task.Put(context.Background(), nil); err != nil {
		t.Fatal("empty Put:", err)
	}
	if _, err := task.PreCommit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	task.Stop()
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != batches*size {
		t.Fatalf("%d lines, want %d", len(lines), batches*size)
	}
	for i, l := range lines {
		if l != "line "+strconv.Itoa(i) {
			t.Fatalf("line %d = %q", i, l)
		}
	}
}

// countingWriter counts the writes of the sink task.
type countingWriter struct {
	writes int
	f      *os.File
}

func (w *countingWriter) Write(p []byte) (int, error) { w.writes++; return w.f.Write(p) }

func TestSinkOneWritePerPutAndFsyncOnlyWhenDirty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	task := startSink(t, path)
	cw := &countingWriter{f: task.f}
	task.w = cw
	recs := make([]*connectors.Record, 1000)
	for i := range recs {
		recs[i] = userRecord(i)
	}
	for range 3 {
		if err := task.Put(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
	}
	if cw.writes != 3 {
		t.Errorf("%d writes for 3 Puts", cw.writes)
	}
	if _, err := task.PreCommit(context.Background(), nil); err != nil || task.dirty {
		t.Fatalf("PreCommit: %v, dirty=%v", err, task.dirty)
	}
	// Nothing new: no fsync needed. A closed file makes a real fsync fail.
	task.f.Close()
	if _, err := task.PreCommit(context.Background(), nil); err != nil {
		t.Errorf("PreCommit without new data = %v; it should not fsync", err)
	}
	task.w = task.f
	if err := task.Put(context.Background(), recs[:1]); !errors.Is(err, ErrWrite) {
		t.Errorf("Put to a closed file = %v, want ErrWrite", err)
	}
	task.dirty = true
	if _, err := task.PreCommit(context.Background(), nil); !errors.Is(err, ErrWrite) {
		t.Errorf("PreCommit with a failing fsync = %v, want ErrWrite", err)
	}
	task.f = nil
}

func TestSinkConfig(t *testing.T) {
	c := &SinkConnector{}
	if err := c.Start(context.Background(), nil, map[string]string{KeyFile: "/tmp/x", "topics": "a"}); err != nil {
		t.Fatal(err)
	}
	tcs, _ := c.TaskConfigs(2)
	if len(tcs) != 2 || tcs[1][KeyFile] != "/tmp/x" {
		t.Errorf("TaskConfigs = %v", tcs)
	}
	// No file: the standard output.
	task := &SinkTask{}
	if err := task.Start(context.Background(), nil, map[string]string{}); err != nil || task.w != os.Stdout {
		t.Fatalf("Start without file: %v, writer %v", err, task.w)
	}
	if err := task.Stop(); err != nil {
		t.Fatal(err)
	}
	err := (&SinkTask{}).Start(context.Background(), nil, map[string]string{KeyFile: filepath.Join(t.TempDir(), "no/such/dir/f")})
	if !errors.Is(err, ErrWrite) {
		t.Errorf("Start in a missing directory = %v, want ErrWrite", err)
	}
}
