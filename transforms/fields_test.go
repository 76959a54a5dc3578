package transforms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

// userSchema is the value schema most field tests use.
var userSchema = connectors.StructSchema().Name("com.example.User").
	Field("id", connectors.Int32Schema).
	Field("name", connectors.StringSchema).
	Field("email", connectors.OptionalStringSchema).
	MustBuild()

func user() *connectors.Record {
	return valueRecord(userSchema, mustStruct(userSchema, "id", int32(1), "name", "ada", "email", "ada@example.com"))
}

func TestExtractField(t *testing.T) {
	out := applyOne(t, "ExtractField$Value", map[string]string{"field": "name"}, user())
	if out.Value != "ada" || out.ValueSchema != connectors.StringSchema {
		t.Errorf("with schema: %#v %v", out.Value, out.ValueSchema)
	}
	// Kafka's example: {"id": 42, "cost": 4000} → 42.
	out = applyOne(t, "ExtractField$Key", map[string]string{"field": "id"}, &connectors.Record{Key: map[string]any{"id": int64(42), "cost": int64(4000)}})
	if out.Key != int64(42) {
		t.Errorf("schemaless key: %#v", out.Key)
	}
	if out = applyOne(t, "ExtractField$Value", map[string]string{"field": "nope"}, valueRecord(nil, map[string]any{"a": 1})); out.Value != nil {
		t.Errorf("schemaless missing field: %#v, want null", out.Value)
	}
	if err := applyErr(t, "ExtractField$Value", map[string]string{"field": "nope"}, user()); err == nil || err.Error() != "Unknown field: nope" {
		t.Errorf("missing field with schema: %v", err)
	}
	// V2 paths: dots step into nested values, backticks quote a dotted name.
	nested := map[string]any{"a": map[string]any{"b.c": "deep"}, "a.b": "flat"}
	for path, want := range map[string]any{"a.`b.c`": "deep", "`a.b`": "flat", "a.x": nil} {
		out = applyOne(t, "ExtractField$Value", map[string]string{"field": path, "field.syntax.version": "V2"}, valueRecord(nil, nested))
		if out.Value != want {
			t.Errorf("V2 %s: %#v, want %#v", path, out.Value, want)
		}
	}
	inner := connectors.StructSchema().Field("zip", connectors.StringSchema).MustBuild()
	outer := connectors.StructSchema().Field("addr", inner).MustBuild()
	out = applyOne(t, "ExtractField$Value", map[string]string{"field": "addr.zip", "field.syntax.version": "V2"},
		valueRecord(outer, mustStruct(outer, "addr", mustStruct(inner, "zip", "75001"))))
	if out.Value != "75001" || out.ValueSchema != connectors.StringSchema {
		t.Errorf("V2 struct path: %#v %v", out.Value, out.ValueSchema)
	}
}

func TestHoistFieldAndValueToKey(t *testing.T) {
	out := applyOne(t, "HoistField$Value", map[string]string{"field": "line"}, valueRecord(connectors.StringSchema, "hello"))
	checkStruct(t, out.Value, "line", "hello")
	out = applyOne(t, "HoistField$Key", map[string]string{"field": "k"}, &connectors.Record{Key: int64(42)})
	if !connectors.ValuesEqual(out.Key, map[string]any{"k": int64(42)}) {
		t.Errorf("schemaless hoist: %#v", out.Key)
	}
	out = applyOne(t, "ValueToKey", map[string]string{"fields": "id,name"}, user())
	checkStruct(t, out.Key, "id", int32(1), "name", "ada")
	out = applyOne(t, "ValueToKey", map[string]string{"fields": "id"}, valueRecord(nil, map[string]any{"id": "x", "y": 2}))
	if !connectors.ValuesEqual(out.Key, map[string]any{"id": "x"}) {
		t.Errorf("schemaless ValueToKey: %#v", out.Key)
	}
	if err := applyErr(t, "ValueToKey", map[string]string{"fields": "nope"}, user()); err == nil || !strings.Contains(err.Error(), "Field does not exist: nope") {
		t.Errorf("ValueToKey with a missing field: %v", err)
	}
}

func TestFlatten(t *testing.T) {
	name := connectors.StructSchema().Field("first", connectors.StringSchema).Field("last", connectors.StringSchema).Optional().MustBuild()
	content := connectors.StructSchema().Field("id", connectors.Int32Schema).Field("name", name).MustBuild()
	schema := connectors.StructSchema().Field("content", content).Field("tags", connectors.ArraySchema(connectors.StringSchema).MustBuild()).MustBuild()
	v := mustStruct(schema, "content", mustStruct(content, "id", int32(42), "name", mustStruct(name, "first", "David", "last", "Wong")), "tags", []any{"a"})
	out := applyOne(t, "Flatten$Value", map[string]string{}, valueRecord(schema, v))
	checkStruct(t, out.Value, "content.id", int32(42), "content.name.first", "David", "content.name.last", "Wong", "tags", []any{"a"})
	if f := out.ValueSchema.Field("content.name.first"); !f.Schema.Optional {
		t.Error("a field under an optional struct must become optional")
	}
	// Kafka's example, schemaless, with another delimiter.
	out = applyOne(t, "Flatten$Value", map[string]string{"delimiter": "_"}, valueRecord(nil, map[string]any{
		"content": map[string]any{"id": 42, "name": map[string]any{"first": "David", "middle": nil, "last": "Wong"}}}))
	want := map[string]any{"content_id": 42, "content_name_first": "David", "content_name_middle": nil, "content_name_last": "Wong"}
	if !connectors.ValuesEqual(out.Value, want) {
		t.Errorf("schemaless: %#v", out.Value)
	}
}

func TestReplaceField(t *testing.T) {
	out := applyOne(t, "ReplaceField$Value", map[string]string{"exclude": "email", "renames": "id:user_id"}, user())
	checkStruct(t, out.Value, "user_id", int32(1), "name", "ada")
	out = applyOne(t, "ReplaceField$Value", map[string]string{"include": "name,email", "exclude": "email"}, user())
	checkStruct(t, out.Value, "name", "ada")
	// Kafka's example: renames foo:c1,bar:c2, schemaless.
	out = applyOne(t, "org.apache.kafka.connect.transforms.ReplaceField$Value", map[string]string{"renames": "foo:c1,bar:c2"},
		valueRecord(nil, map[string]any{"foo": 1, "bar": "x", "baz": false}))
	if !connectors.ValuesEqual(out.Value, map[string]any{"c1": 1, "c2": "x", "baz": false}) {
		t.Errorf("renames: %#v", out.Value)
	}
	var ce *configs.Error
	if err := configureError(t, "ReplaceField$Value", map[string]string{"renames": "nocolon"}); !errors.As(err, &ce) || ce.Key != "renames" {
		t.Errorf("bad renames: %v", err)
	}
}

func TestMaskField(t *testing.T) {
	out := applyOne(t, "MaskField$Value", map[string]string{"fields": "id,name"}, user())
	checkStruct(t, out.Value, "id", int32(0), "name", "", "email", "ada@example.com")
	out = applyOne(t, "MaskField$Value", map[string]string{"fields": "name,email", "replacement": "****"}, user())
	checkStruct(t, out.Value, "id", int32(1), "name", "****", "email", "****")
	out = applyOne(t, "MaskField$Value", map[string]string{"fields": "n", "replacement": "9"}, valueRecord(nil, map[string]any{"n": int64(5)}))
	if !connectors.ValuesEqual(out.Value, map[string]any{"n": int64(9)}) {
		t.Errorf("numeric replacement: %#v", out.Value)
	}
	if err := applyErr(t, "MaskField$Value", map[string]string{"fields": "id", "replacement": "x"}, user()); err == nil || !strings.Contains(err.Error(), "Unable to convert x") {
		t.Errorf("non-numeric replacement for a number: %v", err)
	}
	if err := applyErr(t, "MaskField$Value", map[string]string{"fields": "nope"}, user()); err == nil || !strings.Contains(err.Error(), "nope is not a valid field name") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestInsertField(t *testing.T) {
	cfg := map[string]string{"topic.field": "topic!", "partition.field": "part", "timestamp.field": "ts", "static.field": "origin", "static.value": "web"}
	out := applyOne(t, "InsertField$Value", cfg, user())
	ts := time.UnixMilli(1_700_000_000_000).UTC()
	checkStruct(t, out.Value, "id", int32(1), "name", "ada", "email", "ada@example.com", "topic", "test", "part", int32(0), "ts", ts, "origin", "web")
	if s := out.ValueSchema.Field("topic").Schema; s.Optional {
		t.Error("topic! must be required")
	}
	if s := out.ValueSchema.Field("ts").Schema; s.Name != connectors.TimestampName || !s.Optional {
		t.Errorf("ts schema %v, want an optional Timestamp", s)
	}
	out = applyOne(t, "InsertField$Value", cfg, valueRecord(nil, map[string]any{"a": 1}))
	want := map[string]any{"a": 1, "topic": "test", "part": int32(0), "ts": int64(1_700_000_000_000), "origin": "web"}
	if !connectors.ValuesEqual(out.Value, want) {
		t.Errorf("schemaless: %#v", out.Value)
	}
	tomb := valueRecord(userSchema, nil)
	if out := applyOne(t, "InsertField$Value", cfg, tomb); out != tomb {
		t.Error("a tombstone must pass unchanged")
	}
	if err := applyErr(t, "InsertField$Value", map[string]string{"offset.field": "off"}, user()); err == nil || !strings.Contains(err.Error(), "Only SinkRecord") {
		t.Errorf("offset.field on a source record: %v", err)
	}
}

func TestHeaderFrom(t *testing.T) {
	out := applyOne(t, "HeaderFrom$Value", map[string]string{"fields": "id,name", "headers": "x-id,x-name", "operation": "move"}, user())
	checkStruct(t, out.Value, "email", "ada@example.com")
	if h, _ := out.Headers.Last("x-id"); h.Value != int32(1) || h.Schema != connectors.Int32Schema {
		t.Errorf("header x-id: %+v", h)
	}
	out = applyOne(t, "HeaderFrom$Value", map[string]string{"fields": "a", "headers": "h", "operation": "copy"}, valueRecord(nil, map[string]any{"a": "v"}))
	if h, _ := out.Headers.Last("h"); h.Value != "v" || !connectors.ValuesEqual(out.Value, map[string]any{"a": "v"}) {
		t.Errorf("copy: %+v %#v", h, out.Value)
	}
	err := configureError(t, "HeaderFrom$Value", map[string]string{"fields": "a,b", "headers": "h", "operation": "copy"})
	if err == nil || !strings.Contains(err.Error(), "same number of elements") {
		t.Errorf("unpaired lists: %v", err)
	}
}

func TestSetSchemaMetadata(t *testing.T) {
	out := applyOne(t, "SetSchemaMetadata$Value", map[string]string{"schema.name": "com.example.Person", "schema.version": "3"}, user())
	if out.ValueSchema.Name != "com.example.Person" || out.ValueSchema.Version != 3 || out.Value.(*connectors.Struct).Schema() != out.ValueSchema {
		t.Errorf("got schema %v v%d", out.ValueSchema, out.ValueSchema.Version)
	}
	if err := applyErr(t, "SetSchemaMetadata$Value", map[string]string{"schema.name": "x"}, valueRecord(nil, "v")); err == nil || err.Error() != "Schema required for [updating schema metadata]" {
		t.Errorf("schemaless: %v", err)
	}
}
