package jsontext

import (
	"encoding/json"
	"math"
	"testing"

	"conflux/connectors"
)

func TestAppend(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, `null`},
		{"a\"b\n<é>", `"a\"b\n<é>"`},
		{int32(-7), `-7`},
		{1.5, `1.5`},
		{1e21, `1e+21`},
		{math.Inf(-1), `"-Infinity"`},
		{[]byte{0, 1, 2}, `"AAEC"`},
		{map[string]any{"b": []any{int64(1), nil}, "a": true}, `{"a":true,"b":[1,null]}`},
		{map[any]any{int32(2): "two", int32(1): "one"}, `[[1,"one"],[2,"two"]]`},
	} {
		got := string(Append(nil, nil, c.v))
		if got != c.want {
			t.Errorf("Append(%#v) = %s, want %s", c.v, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("Append(%#v) = %s: not JSON", c.v, got)
		}
	}
	s, err := connectors.NewSchemaBuilder(connectors.TypeStruct).Field("n", connectors.Int32Schema).Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(Append(nil, s, connectors.NewStruct(s).Put("n", int32(3)))); got != `{"n":3}` {
		t.Errorf("struct = %s", got)
	}
}
