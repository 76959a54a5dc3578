package jsonvalue

import (
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{"a":1,"b":[2.5,"x<y>&z",null,true]}`, map[string]any{"a": int64(1), "b": []any{2.5, "x<y>&z", nil, true}}},
		{`9223372036854775807`, int64(9223372036854775807)},
		{`9223372036854775808`, 9223372036854775808.0},
		{` "s" `, "s"},
	} {
		got, err := Unmarshal([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Unmarshal(%s) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `1 2`, `{"a":1}x`} {
		if _, err := Unmarshal([]byte(bad)); err == nil {
			t.Errorf("Unmarshal(%q) succeeded", bad)
		}
	}
	b, err := Marshal(map[string]any{"z": "<&>", "a": int64(1)})
	if err != nil || string(b) != `{"a":1,"z":"<&>"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}
