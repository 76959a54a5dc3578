package connectors

import (
	"errors"
	"math/big"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	inner := StructSchema().Name("inner").Field("x", Int32Schema).MustBuild()
	rec := StructSchema().Name("rec").
		Field("id", Int32Schema).
		Field("name", OptionalStringSchema).
		Field("n", NewSchemaBuilder(TypeInt64).Default(int64(7)).MustBuild()).
		MustBuild()
	good := NewStruct(rec).Put("id", int32(1))
	tests := []struct {
		name   string
		schema *Schema
		value  any
		want   string
	}{
		{"int8", Int8Schema, int8(1), ""},
		{"int16", Int16Schema, int16(1), ""},
		{"int32", Int32Schema, int32(1), ""},
		{"int64", Int64Schema, int64(1), ""},
		{"float32", Float32Schema, float32(1), ""},
		{"float64", Float64Schema, 1.0, ""},
		{"bool", BooleanSchema, true, ""},
		{"string", StringSchema, "s", ""},
		{"bytes", BytesSchema, []byte("b"), ""},
		{"array", ArraySchema(Int32Schema).MustBuild(), []any{int32(1)}, ""},
		{"map", MapSchema(StringSchema, Int32Schema).MustBuild(), map[string]any{"a": int32(1)}, ""},
		{"map any", MapSchema(Int32Schema, StringSchema).MustBuild(), map[any]any{int32(1): "a"}, ""},
		{"struct", rec, good, ""},
		{"decimal", DecimalSchema(2).MustBuild(), DecimalFromInt64(123, 2), ""},
		{"date", DateSchema().MustBuild(), time.Unix(0, 0), ""},
		{"timestamp", TimestampSchema().MustBuild(), time.Now(), ""},
		{"optional null", OptionalInt32Schema, nil, ""},
		{"default null", NewSchemaBuilder(TypeInt32).Default(int32(1)).MustBuild(), nil, ""},

		{"required null", Int32Schema, nil, "Invalid value: null used for required schema type: INT32"},
		{"int for int32", Int32Schema, 1, "Invalid Go value for schema with type INT32: int"},
		{"wrong element", ArraySchema(Int32Schema).MustBuild(), []any{"x"}, "Invalid Go value for schema with type INT32: string"},
		{"string map with int keys", MapSchema(Int32Schema, StringSchema).MustBuild(), map[string]any{"a": "b"},
			"Invalid Go value for schema with type MAP: map[string]interface {}"},
		{"bad map key", MapSchema(Int32Schema, StringSchema).MustBuild(), map[any]any{"a": "b"},
			"Invalid Go value for schema with type INT32: string"},
		{"int64 for timestamp", TimestampSchema().MustBuild(), int64(1),
			`Invalid Go value for schema "org.apache.kafka.connect.data.Timestamp" with type INT64: int64`},
		{"decimal scale", DecimalSchema(3).MustBuild(), DecimalFromInt64(1, 2), "Decimal has mismatching scale value for given Decimal schema"},
		{"struct schema mismatch", inner, good, "Struct schemas do not match."},
		{"required field null", rec, NewStruct(rec), `Invalid value: null used for required field: "id", schema type: INT32`},
		{"wrong field type", rec, NewStruct(rec).Put("id", "x"), `Invalid Go value for schema with type INT32: string for field: "id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.schema.Validate(tt.value)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrData) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValuesEqual(t *testing.T) {
	s := StructSchema().Field("a", BytesSchema).MustBuild()
	now := time.Now()
	equal := [][2]any{
		{nil, nil}, {int32(1), int32(1)}, {[]byte("a"), []byte("a")}, {DecimalFromInt64(5, 1), NewDecimal(big.NewInt(5), 1)},
		{now, now.UTC()}, {[]any{[]byte("x"), "y"}, []any{[]byte("x"), "y"}},
		{map[string]any{"a": []any{int64(1)}}, map[string]any{"a": []any{int64(1)}}},
		{map[any]any{int32(1): "x"}, map[any]any{int32(1): "x"}},
		{NewStruct(s).Put("a", []byte("z")), NewStruct(s.Copy()).Put("a", []byte("z"))},
	}
	for _, p := range equal {
		if !ValuesEqual(p[0], p[1]) {
			t.Errorf("%v != %v", p[0], p[1])
		}
	}
	differ := [][2]any{
		{nil, int32(0)}, {int32(1), int64(1)}, {[]byte("a"), "a"}, {DecimalFromInt64(10, 1), DecimalFromInt64(1, 0)},
		{[]any{"a"}, []any{"a", "b"}}, {map[string]any{"a": 1}, map[string]any{"b": 1}},
		{NewStruct(s).Put("a", []byte("z")), NewStruct(s).Put("a", []byte("y"))},
	}
	for _, p := range differ {
		if ValuesEqual(p[0], p[1]) {
			t.Errorf("%v == %v", p[0], p[1])
		}
	}
}
