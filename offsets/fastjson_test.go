package offsets

import "testing"

// TestScalarObjectMatchesGeneralPath checks that the fast encoding of small
// scalar maps is byte for byte what the general path writes, and that
// anything it cannot write exactly is left to the general path.
func TestScalarObjectMatchesGeneralPath(t *testing.T) {
	for _, m := range []map[string]any{
		{"task.id": int64(0)},
		{"file": "/var/log/app.log", "position": int64(123456789)},
		{"b": true, "a": nil, "c": int(-7), "d": int32(5)},
		{"lsn": "0/16B3748", "txId": int64(771), "snapshot": false},
		{"unicode": "héllo wörld", "x": int64(1)},
		{"<html>&": "a<b>&c"},
	} {
		fast, ok := appendScalarObject(nil, m)
		if !ok {
			t.Errorf("%v: fast path refused a scalar map", m)
			continue
		}
		slow, err := compactJSON(m)
		if err != nil {
			t.Fatal(err)
		}
		norm, err := roundTrip(m)
		if err != nil {
			t.Fatal(err)
		}
		key, err := compactJSON(norm)
		if err != nil {
			t.Fatal(err)
		}
		if string(fast) != string(slow) || string(fast) != string(key) {
			t.Errorf("%v: fast %s, general %s, key %s", m, fast, slow, key)
		}
	}
	for _, m := range []map[string]any{
		{"quote": `a"b`},
		{"newline": "a\nb"},
		{"sep": "a\u2028b"},
		{"bad": string([]byte{0xff})},
		{"float": 1.5},
		{"nested": map[string]any{"a": int64(1)}},
		{"list": []any{int64(1)}},
		{"big": uint64(1 << 63)},
	} {
		if _, ok := appendScalarObject(nil, m); ok {
			t.Errorf("%v: fast path took a map it cannot write exactly", m)
		}
	}
}
