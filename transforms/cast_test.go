package transforms

import (
	"errors"
	"strings"
	"testing"

	"conflux/configs"
	"conflux/connectors"
)

func TestCastWithSchema(t *testing.T) {
	schema := connectors.StructSchema().
		Field("id", connectors.Int64Schema).
		Field("price", connectors.StringSchema).
		Field("qty", connectors.OptionalFloat64Schema).
		Field("active", connectors.Int8Schema).
		Field("blob", connectors.BytesSchema).
		Field("name", connectors.StringSchema).
		MustBuild()
	in := valueRecord(schema, mustStruct(schema, "id", int64(42), "price", "3.25", "qty", 2.9, "active", int8(1), "blob", []byte("hi"), "name", "x"))
	out := applyOne(t, "org.apache.kafka.connect.transforms.Cast$Value",
		map[string]string{"spec": "id:string,price:float64,qty:int32,active:boolean,blob:string"}, in)
	checkStruct(t, out.Value, "id", "42", "price", 3.25, "qty", int32(2), "active", true, "blob", "aGk=", "name", "x")
	if f := out.ValueSchema.Field("qty"); f.Schema.Type != connectors.TypeInt32 || !f.Schema.Optional {
		t.Errorf("qty schema %+v, want optional INT32", f.Schema)
	}
	if in.Value.(*connectors.Struct).Get("id") != int64(42) {
		t.Error("the input record was modified")
	}
}

func TestCastSchemalessAndWhole(t *testing.T) {
	out := applyOne(t, "Cast$Value", map[string]string{"spec": "a:int16,b:string"},
		valueRecord(nil, map[string]any{"a": "7", "b": 1.5e10, "c": true}))
	want := map[string]any{"a": int16(7), "b": "1.5E10", "c": true}
	if !connectors.ValuesEqual(out.Value, want) {
		t.Errorf("schemaless cast: got %#v, want %#v", out.Value, want)
	}
	key := &connectors.Record{Topic: "t", KeySchema: connectors.Int32Schema, Key: int32(5)}
	out = applyOne(t, "Cast$Key", map[string]string{"spec": "string"}, key)
	if out.Key != "5" || out.KeySchema.Type != connectors.TypeString {
		t.Errorf("whole-key cast: got %#v with %v", out.Key, out.KeySchema)
	}
}

func TestCastErrors(t *testing.T) {
	err := configureError(t, "Cast$Value", map[string]string{"spec": "a:decimal"})
	var ce *configs.Error
	if !errors.As(err, &ce) || ce.Key != "spec" || !strings.Contains(err.Error(), "Invalid type found in casting spec: decimal") {
		t.Errorf("bad spec: %v", err)
	}
	if err := configureError(t, "Cast$Value", map[string]string{}); !errors.Is(err, configs.ErrMissing) {
		t.Errorf("missing spec: %v, want a missing configuration error", err)
	}
	err = applyErr(t, "Cast$Value", map[string]string{"spec": "a:int32"}, valueRecord(nil, map[string]any{"a": "abc"}))
	if !errors.Is(err, connectors.ErrData) || !strings.Contains(err.Error(), `"abc"`) {
		t.Errorf("uncastable value: %v, want a data error naming it", err)
	}
	err = applyErr(t, "Cast$Value", map[string]string{"spec": "a:int32"}, valueRecord(nil, "not a map"))
	if err == nil || !strings.Contains(err.Error(), "Only Map objects supported in absence of schema for [cast types], found: java.lang.String") {
		t.Errorf("schemaless non-map: %v", err)
	}
}

func TestJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 0.001: "0.001", 1e7: "1.0E7", 1.5e-4: "1.5E-4", 123.456: "123.456", -2.5e12: "-2.5E12", 0: "0.0"} {
		if got := javaDouble(f, 64); got != want {
			t.Errorf("javaDouble(%v) = %s, want %s", f, got, want)
		}
	}
}
