package convert

import (
	"errors"
	"testing"

	"conflux/connectors"
)

func TestStringConverter(t *testing.T) {
	s := connectors.StructSchema().Field("id", connectors.Int32Schema).Field("n", connectors.OptionalStringSchema).MustBuild()
	tests := []struct {
		value any
		want  string
	}{
		{"héllo", "héllo"}, {int32(42), "42"}, {int64(-1), "-1"}, {1.5, "1.5"}, {float32(2), "2.0"}, {true, "true"},
		{[]byte("raw"), "raw"}, {connectors.NewStruct(s).Put("id", int32(1)), "Struct{id=1}"},
		{connectors.DecimalFromInt64(123, 2), "1.23"},
	}
	c := NewStringConverter()
	if err := c.Configure(nil, false); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		b, err := c.FromConnectData("t", &connectors.RawHeaders{}, nil, tt.value)
		if err != nil || string(b) != tt.want {
			t.Errorf("%v: got %q %v", tt.value, b, err)
		}
	}
	if b, err := c.FromConnectData("t", nil, connectors.StringSchema, nil); b != nil || err != nil {
		t.Fatal("null")
	}
	sc, v, err := c.ToConnectData("t", nil, []byte("héllo\xff"))
	if err != nil || sc != connectors.OptionalStringSchema || v != "héllo\uFFFD" {
		t.Fatalf("%v %q %v", sc, v, err)
	}
	if sc, v, _ := c.ToConnectData("t", nil, nil); sc != connectors.OptionalStringSchema || v != nil {
		t.Fatal("null read")
	}
	if sc, v, _ := c.ToConnectData("t", nil, []byte{}); sc != connectors.OptionalStringSchema || v != "" {
		t.Fatal("empty read")
	}
}

func TestStringConverterEncodings(t *testing.T) {
	latin := NewStringConverter()
	if err := latin.Configure(map[string]string{"converter.encoding": "ISO-8859-1"}, true); err != nil {
		t.Fatal(err)
	}
	b, _ := latin.FromConnectData("t", nil, nil, "café€")
	if string(b) != "caf\xe9?" {
		t.Fatalf("%q", b)
	}
	if _, v, _ := latin.ToConnectData("t", nil, []byte("caf\xe9")); v != "café" {
		t.Fatalf("%q", v)
	}
	ascii := NewStringConverter()
	if err := ascii.ConfigureHeader(map[string]string{"converter.encoding": "US-ASCII"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := ascii.FromConnectHeader("t", "h", nil, "café"); string(b) != "caf?" {
		t.Fatalf("%q", b)
	}
	err := NewStringConverter().Configure(map[string]string{"converter.encoding": "UTF-16"}, false)
	if !errors.Is(err, ErrUnsupportedEncoding) {
		t.Fatal(err)
	}
}

func TestByteArrayConverter(t *testing.T) {
	c := NewByteArrayConverter()
	in := []byte{1, 2, 3}
	b, err := c.FromConnectData("t", &connectors.RawHeaders{}, connectors.OptionalBytesSchema, in)
	if err != nil || &b[0] != &in[0] {
		t.Fatal("bytes not passed through")
	}
	if b, err := c.FromConnectData("t", nil, nil, nil); b != nil || err != nil {
		t.Fatal("null")
	}
	_, err = c.FromConnectData("t", nil, connectors.StringSchema, "x")
	if err == nil || err.Error() != "Invalid schema type for ByteArrayConverter: STRING" || !errors.Is(err, connectors.ErrData) {
		t.Fatal(err)
	}
	_, err = c.FromConnectData("t", nil, nil, "x")
	if err == nil || err.Error() != "ByteArrayConverter is not compatible with objects of type string" {
		t.Fatal(err)
	}
	s, v, err := c.ToConnectHeader("t", "h", in)
	if err != nil || s != connectors.OptionalBytesSchema || &v.([]byte)[0] != &in[0] {
		t.Fatal("read")
	}
}

func TestRegistered(t *testing.T) {
	for _, tt := range []struct{ name, class string }{
		{"json", JSONConverterClass}, {"JsonConverter", JSONConverterClass}, {"Json", JSONConverterClass},
		{StringConverterClass, StringConverterClass}, {"StringConverter", StringConverterClass},
		{"ByteArrayConverter", ByteArrayConverterClass}, {"bytearray", ByteArrayConverterClass},
	} {
		p, err := connectors.Lookup(tt.name)
		if err != nil || p.Class() != tt.class || p.Type != connectors.PluginConverter || p.ConfigDef == nil {
			t.Errorf("%s: %+v %v", tt.name, p, err)
			continue
		}
		inst := p.New()
		if _, ok := inst.(connectors.Converter); !ok {
			t.Errorf("%s is not a Converter", tt.name)
		}
		if _, ok := inst.(connectors.HeaderConverter); !ok {
			t.Errorf("%s is not a HeaderConverter", tt.name)
		}
	}
	headers := 0
	for _, p := range connectors.List(connectors.PluginHeaderConverter) {
		switch p.Class() {
		case JSONConverterClass, StringConverterClass, ByteArrayConverterClass:
			headers++
		}
	}
	if headers != 3 {
		t.Fatalf("%d converters listed as header converters", headers)
	}
}

// Compile-time checks that the converters implement the SPI.
var (
	_ connectors.Converter       = (*JSONConverter)(nil)
	_ connectors.HeaderConverter = (*JSONConverter)(nil)
	_ connectors.Converter       = (*StringConverter)(nil)
	_ connectors.HeaderConverter = (*StringConverter)(nil)
	_ connectors.Converter       = (*ByteArrayConverter)(nil)
	_ connectors.HeaderConverter = (*ByteArrayConverter)(nil)
)
