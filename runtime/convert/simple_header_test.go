package convert

import (
	"testing"

	"conflux/connectors"
)

func TestSimpleHeaderConverterInfersTypes(t *testing.T) {
	c := NewSimpleHeaderConverter()
	for _, tc := range []struct {
		in     string
		schema *connectors.Schema
		want   any
	}{
		{"true", connectors.BooleanSchema, true},
		{"false", connectors.BooleanSchema, false},
		{"42", connectors.Int8Schema, int8(42)},
		{"-300", connectors.Int16Schema, int16(-300)},
		{"70000", connectors.Int32Schema, int32(70000)},
		{"5000000000", connectors.Int64Schema, int64(5000000000)},
		{"1.5", connectors.Float32Schema, float32(1.5)},
		{"0.1", connectors.Float64Schema, 0.1},
		{"NaN", connectors.StringSchema, "NaN"},
		{"hello", connectors.StringSchema, "hello"},
		{"", connectors.StringSchema, ""},
	} {
		schema, got, err := c.ToConnectHeader("t", "h", []byte(tc.in))
		if err != nil || schema != tc.schema || got != tc.want {
			t.Errorf("ToConnectHeader(%q) = %v %#v %v; want %v %#v", tc.in, schema, got, err, tc.schema, tc.want)
		}
	}
	if s, v, err := c.ToConnectHeader("t", "h", nil); s != nil || v != nil || err != nil {
		t.Errorf("nil header: got %v %v %v", s, v, err)
	}
	for _, tc := range []struct {
		value any
		want  string
	}{{int8(42), "42"}, {"text", "text"}, {true, "true"}} {
		b, err := c.FromConnectHeader("t", "h", nil, tc.value)
		if err != nil || string(b) != tc.want {
			t.Errorf("FromConnectHeader(%#v) = %q, %v; want %q", tc.value, b, err, tc.want)
		}
	}
}
