package convert

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conflux/connectors"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// referenceExample is the example of the Kafka Connect reference (§6).
const referenceExample = `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},` +
	`{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}],` +
	`"optional":false,"name":"rec"},"payload":{"id":1,"ts":1700000000000}}`

func newJSON(t testing.TB, config map[string]string) *JSONConverter {
	t.Helper()
	c := NewJSONConverter()
	if err := c.Configure(config, false); err != nil {
		t.Fatal(err)
	}
	return c
}

// golden compares got with testdata/name.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, append(bytes.Clone(got), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
		t.Fatalf("%s differs:\ngot  %s\nwant %s", path, got, want)
	}
}

func TestReferenceExample(t *testing.T) {
	rec := connectors.StructSchema().Name("rec").
		Field("id", connectors.Int32Schema).
		Field("ts", connectors.TimestampSchema().Optional().MustBuild()).
		MustBuild()
	value := connectors.NewStruct(rec).Put("id", int32(1)).Put("ts", time.UnixMilli(1700000000000))
	c := newJSON(t, nil)
	got, err := c.FromConnectData("t", &connectors.RawHeaders{}, rec, value)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != referenceExample {
		t.Fatalf("got  %s\nwant %s", got, referenceExample)
	}
	golden(t, "reference_example.json", got)

	s, v, err := c.ToConnectData("t", nil, []byte(referenceExample))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Equal(rec) || !connectors.ValuesEqual(v, value) {
		t.Fatalf("read back %v %v", s, v)
	}
	// The parsed schema is cached, so records of one schema share it.
	s2, _, _ := c.ToConnectData("t", nil, []byte(referenceExample))
	if s2 != s {
		t.Fatal("schema not cached")
	}
}

// allTypes returns a struct schema using every type and logical type, and a
// value of it.
func allTypes() (*connectors.Schema, *connectors.Struct) {
	inner := connectors.StructSchema().Name("inner").Doc("nested").Field("x", connectors.Int32Schema).MustBuild()
	s := connectors.StructSchema().Name("all").Version(3).Doc("every type").Param("p", "q").
		Field("i8", connectors.Int8Schema).
		Field("i16", connectors.Int16Schema).
		Field("i32", connectors.Int32Schema).
		Field("i64", connectors.Int64Schema).
		Field("f32", connectors.Float32Schema).
		Field("f64", connectors.Float64Schema).
		Field("bool", connectors.BooleanSchema).
		Field("str", connectors.StringSchema).
		Field("bytes", connectors.BytesSchema).
		Field("arr", connectors.ArraySchema(connectors.OptionalStringSchema).MustBuild()).
		Field("smap", connectors.MapSchema(connectors.StringSchema, connectors.Int64Schema).MustBuild()).
		Field("imap", connectors.MapSchema(connectors.Int32Schema, connectors.StringSchema).MustBuild()).
		Field("inner", inner).
		Field("dec", connectors.DecimalSchema(2).MustBuild()).
		Field("date", connectors.DateSchema().MustBuild()).
		Field("time", connectors.TimeSchema().MustBuild()).
		Field("ts", connectors.TimestampSchema().MustBuild()).
		Field("opt", connectors.OptionalStringSchema).
		Field("def", connectors.NewSchemaBuilder(connectors.TypeString).Default("dflt").MustBuild()).
		MustBuild()
	v := connectors.NewStruct(s).
		Put("i8", int8(-8)).Put("i16", int16(-16)).Put("i32", int32(-32)).Put("i64", int64(math.MaxInt64)).
		Put("f32", float32(1.5)).Put("f64", 2.25).Put("bool", true).Put("str", "h\"é\n\x01").
		Put("bytes", []byte{0, 1, 2, 0xff}).Put("arr", []any{"a", nil, "c"}).
		Put("smap", map[string]any{"b": int64(2), "a": int64(1)}).
		Put("imap", map[any]any{int32(2): "two", int32(1): "one"}).
		Put("inner", connectors.NewStruct(inner).Put("x", int32(7))).
		Put("dec", connectors.DecimalFromInt64(-12345, 2)).
		Put("date", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)).
		Put("time", time.Date(1970, 1, 1, 13, 14, 15, 16e6, time.UTC)).
		Put("ts", time.UnixMilli(1700000000123).UTC())
	return s, v
}

func TestGoldenAllTypes(t *testing.T) {
	s, v := allTypes()
	for _, tc := range []struct {
		name   string
		config map[string]string
	}{
		{"all_types_schemas.json", nil},
		{"all_types_numeric.json", map[string]string{"decimal.format": "numeric"}},
		{"all_types_schemaless.json", map[string]string{"schemas.enable": "false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newJSON(t, tc.config)
			got, err := c.FromConnectData("t", &connectors.RawHeaders{}, s, v)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, got)
		})
	}
}

// TestAppendConnectData checks the appending form writes exactly what
// FromConnectData returns after what dst holds, keeps null as nil, and
// fails as FromConnectData does.
func TestAppendConnectData(t *testing.T) {
	s, v := allTypes()
	for _, cfg := range []map[string]string{nil, {"schemas.enable": "false"}} {
		c := newJSON(t, cfg)
		for _, tc := range []struct {
			schema *connectors.Schema
			value  any
		}{{s, v}, {nil, map[string]any{"k": "v"}}, {nil, nil}, {connectors.Int32Schema, "not an int"}} {
			want, wantErr := c.FromConnectData("t", &connectors.RawHeaders{}, tc.schema, tc.value)
			got, err := c.AppendConnectData([]byte("prefix"), "t", &connectors.RawHeaders{}, tc.schema, tc.value)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%v %v: append error %v, FromConnectData error %v", cfg, tc.value, err, wantErr)
			}
			switch {
			case err != nil:
			case want == nil:
				if got != nil {
					t.Fatalf("%v: null appended as %q", cfg, got)
				}
			case string(got) != "prefix"+string(want):
				t.Fatalf("%v: appended %q, want prefix%s", cfg, got, want)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	s, v := allTypes()
	for _, cfg := range []map[string]string{nil, {"decimal.format": "NUMERIC"}} {
		c := newJSON(t, cfg)
		b, err := c.FromConnectData("t", &connectors.RawHeaders{}, s, v)
		if err != nil {
			t.Fatal(err)
		}
		gs, gv, err := c.ToConnectData("t", nil, b)
		if err != nil {
			t.Fatal(err)
		}
		if !gs.Equal(s) {
			t.Fatalf("schema changed: %+v", gs)
		}
		want := v.Copy()
		want.Put("def", "dflt") // replace.null.with.default on read
		if !connectors.ValuesEqual(gv, want) {
			t.Fatalf("value changed:\n%v\n%v", gv, want)
		}
		if err := gv.(*connectors.Struct).Validate(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRoundTripPrimitives(t *testing.T) {
	big, _ := new(big.Int).SetString("-98765432109876543210987654321", 10)
	tests := []struct {
		schema *connectors.Schema
		value  any
		json   string
	}{
		{connectors.Int8Schema, int8(math.MinInt8), `-128`},
		{connectors.Int16Schema, int16(math.MaxInt16), `32767`},
		{connectors.Int32Schema, int32(math.MinInt32), `-2147483648`},
		{connectors.Int64Schema, int64(math.MinInt64), `-9223372036854775808`},
		{connectors.Float32Schema, float32(0.1), `0.1`},
		{connectors.Float64Schema, 1e21, `1e+21`},
		{connectors.Float64Schema, 1e-7, `1e-7`},
		{connectors.Float64Schema, 3.0, `3.0`},
		{connectors.Float64Schema, math.Inf(-1), `"-Infinity"`},
		{connectors.BooleanSchema, false, `false`},
		{connectors.StringSchema, "\u2028<>&\t", "\"\u2028<>&\\t\""},
		{connectors.StringSchema, "", `""`},
		{connectors.BytesSchema, []byte("hello"), `"aGVsbG8="`},
		{connectors.BytesSchema, []byte{}, `""`},
		{connectors.OptionalStringSchema, nil, `null`},
		{connectors.ArraySchema(connectors.Int32Schema).MustBuild(), []any{}, `[]`},
		{connectors.MapSchema(connectors.StringSchema, connectors.StringSchema).MustBuild(), map[string]any{}, `{}`},
		{connectors.DecimalSchema(5).MustBuild(), connectors.NewDecimal(big, 5), `"/sDfJj0AB2LHHjjzTw=="`},
		{connectors.DecimalSchema(0).MustBuild(), connectors.DecimalFromInt64(0, 0), `"AA=="`},
		{connectors.DateSchema().MustBuild(), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), `-1`},
		{connectors.TimestampSchema().MustBuild(), time.UnixMilli(-1).UTC(), `-1`},
		{connectors.StructSchema().MustBuild(), connectors.NewStruct(connectors.StructSchema().MustBuild()), `{}`},
	}
	c := newJSON(t, map[string]string{"schemas.enable": "false"})
	withSchema := newJSON(t, nil)
	for _, tt := range tests {
		b, err := c.FromConnectData("t", &connectors.RawHeaders{}, tt.schema, tt.value)
		if err != nil {
			t.Fatalf("%v: %v", tt.value, err)
		}
		if string(b) != tt.json {
			t.Errorf("%v: wrote %s, want %s", tt.value, b, tt.json)
		}
		env, err := withSchema.FromConnectData("t", &connectors.RawHeaders{}, tt.schema, tt.value)
		if err != nil {
			t.Fatal(err)
		}
		_, v, err := withSchema.ToConnectData("t", nil, env)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if !connectors.ValuesEqual(v, tt.value) {
			t.Errorf("%s: read %#v, want %#v", env, v, tt.value)
		}
	}
	_, v, err := withSchema.ToConnectData("t", nil, []byte(`{"schema":{"type":"double","optional":false},"payload":"NaN"}`))
	if err != nil || !math.IsNaN(v.(float64)) {
		t.Fatalf("NaN: %v %v", v, err)
	}
}

func TestSchemaless(t *testing.T) {
	c := newJSON(t, map[string]string{"schemas.enable": "false"})
	value := map[string]any{
		"z": []any{int64(1), 2.5, "s", nil, true, map[string]any{}},
		"a": map[any]any{"k": int32(1)},
		"m": map[any]any{int64(2): "b", int64(1): "a"},
		"n": int(7), "u": uint16(3), "l": []string{"x"}, "ss": map[string]string{"q": "r"},
	}
	b, err := c.FromConnectData("t", &connectors.RawHeaders{}, nil, value)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":{"k":1},"l":["x"],"m":[[1,"a"],[2,"b"]],"n":7,"ss":{"q":"r"},"u":3,"z":[1,2.5,"s",null,true,{}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	_, got, err := c.ToConnectData("t", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	back := got.(map[string]any)
	if back["n"] != int64(7) || back["z"].([]any)[1] != 2.5 || back["a"].(map[string]any)["k"] != int64(1) {
		t.Fatalf("read %#v", got)
	}
	// With the envelope and no schema.
	e := newJSON(t, nil)
	b, _ = e.FromConnectData("t", &connectors.RawHeaders{}, nil, "x")
	if string(b) != `{"schema":null,"payload":"x"}` {
		t.Fatalf("%s", b)
	}
	if s, v, err := e.ToConnectData("t", nil, b); s != nil || v != "x" || err != nil {
		t.Fatal(s, v, err)
	}
	// Tombstones.
	if b, err := e.FromConnectData("t", &connectors.RawHeaders{}, nil, nil); b != nil || err != nil {
		t.Fatal("tombstone written")
	}
	if s, v, err := e.ToConnectData("t", nil, nil); s != nil || v != nil || err != nil {
		t.Fatal("tombstone read")
	}
	// Big integers become float64.
	if _, v, _ := c.ToConnectData("t", nil, []byte(`123456789012345678901234`)); v != 1.2345678901234568e23 {
		t.Fatalf("%#v", v)
	}
}

func TestReplaceNullWithDefault(t *testing.T) {
	s := connectors.StructSchema().Field("a", connectors.NewSchemaBuilder(connectors.TypeInt32).Optional().Default(int32(5)).MustBuild()).MustBuild()
	v := connectors.NewStruct(s)
	on := newJSON(t, map[string]string{"schemas.enable": "false"})
	off := newJSON(t, map[string]string{"schemas.enable": "false", "replace.null.with.default": "false"})
	if b, _ := on.FromConnectData("t", &connectors.RawHeaders{}, s, v); string(b) != `{"a":5}` {
		t.Fatalf("%s", b)
	}
	if b, _ := off.FromConnectData("t", &connectors.RawHeaders{}, s, v); string(b) != `{"a":null}` {
		t.Fatalf("%s", b)
	}
	env := `{"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"default":5,"field":"a"}],"optional":false},"payload":{"a":null}}`
	onEnv, offEnv := newJSON(t, nil), newJSON(t, map[string]string{"replace.null.with.default": "false"})
	_, got, err := onEnv.ToConnectData("t", nil, []byte(env))
	if err != nil || got.(*connectors.Struct).At(0) != int32(5) {
		t.Fatalf("%v %v", got, err)
	}
	_, got, err = offEnv.ToConnectData("t", nil, []byte(env))
	if err != nil || got.(*connectors.Struct).At(0) != nil {
		t.Fatalf("%v %v", got, err)
	}
}

func TestJSONErrors(t *testing.T) {
	rec := connectors.StructSchema().Name("rec").Field("id", connectors.Int32Schema).MustBuild()
	other := connectors.StructSchema().Name("other").Field("id", connectors.Int32Schema).MustBuild()
	writes := []struct {
		schema *connectors.Schema
		value  any
		want   string
	}{
		{connectors.Int32Schema, "x", "Invalid type for INT32: string"},
		{connectors.Int32Schema, 1, "Invalid type for INT32: int"},
		{connectors.Int32Schema, nil, "Conversion error: null value for field that is required and has no default value"},
		{rec, connectors.NewStruct(rec), "Conversion error: null value for field that is required and has no default value"},
		{rec, connectors.NewStruct(other).Put("id", int32(1)), "Mismatching schema."},
		{connectors.TimestampSchema().MustBuild(), int64(1), "Invalid type for Timestamp, expected time.Time but was int64"},
		{connectors.DecimalSchema(2).MustBuild(), 1.5, "Invalid type for Decimal, expected connectors.Decimal but was float64"},
		{connectors.DecimalSchema(2).MustBuild(), connectors.DecimalFromInt64(1, 3), "Decimal has mismatching scale value for given Decimal schema"},
		{&connectors.Schema{Type: connectors.TypeBytes, Name: connectors.DecimalName}, connectors.DecimalFromInt64(1, 3), "Invalid Decimal schema: scale parameter not found."},
		{nil, struct{}{}, "Go type struct {} does not have corresponding schema type."},
		{nil, time.Time{}, "Go type time.Time does not have corresponding schema type."},
	}
	c := newJSON(t, nil)
	for _, tt := range writes {
		_, err := c.FromConnectData("t", &connectors.RawHeaders{}, tt.schema, tt.value)
		if err == nil || err.Error() != tt.want || !errors.Is(err, connectors.ErrData) {
			t.Errorf("write %v: got %v, want %q", tt.value, err, tt.want)
		}
	}
	reads := []struct{ in, want string }{
		{`{"payload":1}`, envelopeError},
		{`{"schema":null,"payload":1,"x":2}`, envelopeError},
		{`{"schema":null,"schema":null}`, envelopeError},
		{`[1]`, envelopeError},
		{`{"schema":null,"payload":1`, "Converting byte[] to Kafka Connect data failed due to serialization error: unexpected end of input in an object at offset 26"},
		{`{"schema":null,"payload":01}`, "Converting byte[] to Kafka Connect data failed due to serialization error: unexpected '1' after an object member at offset 26"},
		{`{"schema":{},"payload":1}`, "Schema must contain 'type' field"},
		{`{"schema":{"type":"uint8"},"payload":1}`, "Unknown schema type: uint8"},
		{`{"schema":{"type":"array"},"payload":[]}`, "Array schema did not specify the element type"},
		{`{"schema":{"type":"map","keys":{"type":"string"}},"payload":{}}`, "Map schema did not specify the value type"},
		{`{"schema":{"type":"struct","fields":{}},"payload":{}}`, `Struct schema's "fields" argument is not an array.`},
		{`{"schema":{"type":"struct","fields":[{"type":"int32"}]},"payload":{}}`, "Struct schema's field name not specified properly"},
		{`{"schema":{"type":"string","parameters":{"a":1}},"payload":"x"}`, "Schema parameters must have string values."},
		{`{"schema":{"type":"int32","optional":false},"payload":null}`, "Invalid null value for required INT32 field"},
		{`{"schema":{"type":"int32"},"payload":"1"}`, "Invalid JSON STRING for schema type INT32"},
		{`{"schema":{"type":"int8"},"payload":300}`, "Invalid value 300 for schema type INT8"},
		{`{"schema":{"type":"int32"},"payload":1.5}`, "Invalid value 1.5 for schema type INT32"},
		{`{"schema":{"type":"bytes"},"payload":"!!"}`, "Invalid bytes field"},
		{`{"schema":{"type":"struct","fields":[]},"payload":[]}`, "Structs should be encoded as JSON objects, but found ARRAY"},
		{`{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":[]}`,
			"Maps with string fields should be encoded as JSON objects, but found ARRAY"},
		{`{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":{}}`,
			"Maps with non-string fields should be encoded as JSON array of tuples, but found OBJECT"},
		{`{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[1]}`,
			"Found invalid map entry instead of array tuple: NUMBER"},
		{`{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[[1]]}`,
			"Found invalid map entry, expected length 2 but found :1"},
		{`{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":"x"}`,
			"Invalid type for Date, underlying representation should be integer but was STRING"},
		{`{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"payload":1.5}`,
			"Invalid type for Timestamp, underlying representation should be integral but was NUMBER"},
		{`{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":true}`,
			"Invalid type for Decimal, underlying representation should be numeric or bytes but was BOOLEAN"},
		{`{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"0"}},"payload":1.5}`,
			"Decimal 1.5 cannot be represented with scale 0"},
	}
	for _, tt := range reads {
		_, _, err := c.ToConnectData("t", nil, []byte(tt.in))
		if err == nil || err.Error() != tt.want || !errors.Is(err, connectors.ErrData) {
			t.Errorf("read %s:\ngot  %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestDecimalNumericRead(t *testing.T) {
	c := newJSON(t, nil)
	_, v, err := c.ToConnectData("t", nil, []byte(`{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3"}},"payload":1.5e1}`))
	if err != nil || v.(connectors.Decimal).String() != "15.000" {
		t.Fatalf("%v %v", v, err)
	}
}

func TestConfigureErrors(t *testing.T) {
	c := NewJSONConverter()
	err := c.Configure(map[string]string{"schemas.enable": "maybe"}, false)
	if err == nil || !strings.Contains(err.Error(), "Invalid value maybe for configuration schemas.enable: Expected value to be either true or false") {
		t.Fatal(err)
	}
	err = c.Configure(map[string]string{"decimal.format": "hex"}, true)
	if err == nil || !strings.Contains(err.Error(), "String must be one of (case insensitive): BASE64, NUMERIC") {
		t.Fatal(err)
	}
}

func TestDeepNesting(t *testing.T) {
	c := newJSON(t, map[string]string{"schemas.enable": "false"})
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	if _, _, err := c.ToConnectData("t", nil, []byte(deep)); !errors.Is(err, errTooDeep) {
		t.Fatalf("got %v", err)
	}
	var v any = "x"
	for range 2000 {
		v = []any{v}
	}
	if _, err := c.FromConnectData("t", &connectors.RawHeaders{}, nil, v); !errors.Is(err, errTooDeep) {
		t.Fatalf("got %v", err)
	}
}

func TestSchemaCacheBounded(t *testing.T) {
	c := newJSON(t, map[string]string{"schemas.cache.size": "2"})
	for i := range 10 {
		s := connectors.StructSchema().Name("s"+strings.Repeat("x", i)).Field("a", connectors.Int32Schema).MustBuild()
		b, err := c.FromConnectData("t", &connectors.RawHeaders{}, s, connectors.NewStruct(s).Put("a", int32(i)))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ToConnectData("t", nil, b); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.encMap) > 2 || len(c.decMap) > 2 {
		t.Fatalf("caches grew to %d and %d", len(c.encMap), len(c.decMap))
	}
}

func TestStructDefault(t *testing.T) {
	env := `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":true,"default":{"a":4}},"payload":null}`
	c := newJSON(t, nil)
	s, v, err := c.ToConnectData("t", nil, []byte(env))
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := v.(*connectors.Struct); !ok || st.Get("a") != int32(4) {
		t.Fatalf("%v", v)
	}
	b, err := c.FromConnectData("t", &connectors.RawHeaders{}, s, nil)
	if err != nil || string(b) != `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":true,"default":{"a":4}},"payload":{"a":4}}` {
		t.Fatalf("%s %v", b, err)
	}
	s2, _, err := newJSON(t, nil).ToConnectData("t", nil, []byte(env))
	if err != nil || !s.Equal(s2) {
		t.Fatal("equal schemas differ", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := newJSON(t, map[string]string{"schemas.cache.size": "3"})
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 200 {
				s := connectors.StructSchema().Name("s"+strings.Repeat("x", (g+i)%5)).Field("a", connectors.Int32Schema).MustBuild()
				b, err := c.FromConnectData("t", &connectors.RawHeaders{}, s, connectors.NewStruct(s).Put("a", int32(i)))
				if err != nil {
					done <- err
					return
				}
				if _, v, err := c.ToConnectData("t", nil, b); err != nil || v.(*connectors.Struct).Get("a") != int32(i) {
					done <- errors.Join(err, errors.New("wrong value"))
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
