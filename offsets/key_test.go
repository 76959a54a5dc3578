package offsets_test

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"conflux/offsets"
)

func TestEncodeKeyMatchesKafkaConnect(t *testing.T) {
	for _, tc := range []struct {
		connector string
		partition map[string]any
		want      string
	}{
		{"datagen-users", map[string]any{"task.id": 0}, `["datagen-users",{"task.id":0}]`},
		{"local-file-source", map[string]any{"filename": "/tmp/test.txt"}, `["local-file-source",{"filename":"/tmp/test.txt"}]`},
		{"pg", map[string]any{"server": "db1", "database": "app"}, `["pg",{"database":"app","server":"db1"}]`},
		{"q", map[string]any{"sql": "a < b && c > d", "n": 1.25, "f": 2.0, "nested": map[string]any{"z": 1, "a": []int{2, 3}, "g": []any{3.0, float32(0.1)}}},
			`["q",{"f":2.0,"n":1.25,"nested":{"a":[2,3],"g":[3.0,0.1],"z":1},"sql":"a < b && c > d"}]`},
		{`we"ird\`, map[string]any{"é": "ü\n"}, `["we\"ird\\",{"é":"ü\n"}]`},
	} {
		got, err := offsets.EncodeKey(tc.connector, tc.partition)
		if err != nil {
			t.Fatalf("EncodeKey(%q, %v): %v", tc.connector, tc.partition, err)
		}
		if string(got) != tc.want {
			t.Errorf("EncodeKey(%q, %v) = %s, want %s", tc.connector, tc.partition, got, tc.want)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	if _, err := offsets.EncodeKey("", map[string]any{"a": 1}); !errors.Is(err, offsets.ErrInvalidPartition) {
		t.Errorf("empty connector: %v", err)
	}
	if _, err := offsets.EncodeKey("c", nil); !errors.Is(err, offsets.ErrInvalidPartition) {
		t.Errorf("nil partition: %v", err)
	}
	if _, err := offsets.EncodeKey("c", map[string]any{"f": math.NaN()}); !errors.Is(err, offsets.ErrInvalidPartition) {
		t.Errorf("NaN partition: %v", err)
	}
	if _, err := offsets.EncodeValue(map[string]any{"f": make(chan int)}); !errors.Is(err, offsets.ErrInvalidOffset) {
		t.Errorf("unencodable offset: %v", err)
	}
	if v, err := offsets.EncodeValue(nil); v != nil || err != nil {
		t.Errorf("nil offset = %q, %v; want a nil tombstone", v, err)
	}
}

func TestKeyOfNormalises(t *testing.T) {
	same := []map[string]any{
		{"a": "x", "b": 1},
		{"b": int64(1), "a": "x"},
		{"b": int32(1), "a": "x"},
	}
	want, err := offsets.KeyOf(same[0])
	if err != nil {
		t.Fatal(err)
	}
	if want != `{"a":"x","b":1}` {
		t.Errorf("KeyOf = %s", want)
	}
	for _, p := range same[1:] {
		if got, _ := offsets.KeyOf(p); got != want {
			t.Errorf("KeyOf(%v) = %s, want %s", p, got, want)
		}
	}
	if got, _ := offsets.KeyOf(map[string]any{"b": "1", "a": "x"}); got == want {
		t.Errorf("a string and a number gave the same key")
	}
	// Java tells Long 1 from Double 1.0; so do we.
	if got, _ := offsets.KeyOf(map[string]any{"b": 1.0, "a": "x"}); got != `{"a":"x","b":1.0}` {
		t.Errorf("KeyOf with a float = %s, want {\"a\":\"x\",\"b\":1.0}", got)
	}
	if _, err := offsets.KeyOf(map[string]any{}); !errors.Is(err, offsets.ErrInvalidPartition) {
		t.Errorf("empty partition: %v", err)
	}
}

func TestDecodeKeyAndValue(t *testing.T) {
	conn, p, err := offsets.DecodeKey([]byte(` [ "c" , {"b":2,"a":{"y":1.5,"x":[true,null]}} ] `))
	if err != nil {
		t.Fatal(err)
	}
	wantP := map[string]any{"b": int64(2), "a": map[string]any{"y": 1.5, "x": []any{true, nil}}}
	if conn != "c" || !reflect.DeepEqual(p, wantP) {
		t.Errorf("DecodeKey = %q, %#v", conn, p)
	}
	for _, bad := range []string{``, `"c"`, `["c"]`, `[1,{}]`, `["c",null]`, `["c",{},1]`, `["c",[]]`, `["c",{}] x`, `{`} {
		if _, _, err := offsets.DecodeKey([]byte(bad)); err == nil {
			t.Errorf("DecodeKey(%s) succeeded", bad)
		}
	}
	v, err := offsets.DecodeValue([]byte(`{"lsn":"0/1","n":9007199254740993,"f":1e3}`))
	if err != nil || !reflect.DeepEqual(v, map[string]any{"lsn": "0/1", "n": int64(9007199254740993), "f": 1000.0}) {
		t.Errorf("DecodeValue = %#v, %v", v, err)
	}
	if v, err := offsets.DecodeValue(nil); v != nil || err != nil {
		t.Errorf("tombstone = %v, %v", v, err)
	}
	if v, err := offsets.DecodeValue([]byte(`null`)); v != nil || err != nil {
		t.Errorf("null = %v, %v", v, err)
	}
	for _, bad := range []string{`42`, `[]`, `"x"`, `{"a":`} {
		if _, err := offsets.DecodeValue([]byte(bad)); err == nil {
			t.Errorf("DecodeValue(%s) succeeded", bad)
		}
	}
}

// FuzzDecodeKey checks that any key the decoder accepts re-encodes to a key
// that decodes to the same connector and partition, with a stable lookup key.
func FuzzDecodeKey(f *testing.F) {
	for _, s := range []string{
		`["datagen-users",{"task.id":0}]`, `["c",{"b":1,"a":"x"}]`, `["c",{"n":1.5e300,"m":-0}]`,
		`["c",{"deep":{"a":[1,{"b":null}]}}]`, `["c"]`, `[1,{}]`, `"x"`, `["c",{"u":"\u2028<>&"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, key []byte) {
		conn, p, err := offsets.DecodeKey(key)
		if err != nil {
			return
		}
		if conn == "" || len(p) == 0 {
			return // decodable but not writable by us
		}
		enc, err := offsets.EncodeKey(conn, p)
		if err != nil {
			return // e.g. numbers out of float64 range
		}
		conn2, p2, err := offsets.DecodeKey(enc)
		if err != nil {
			t.Fatalf("re-encoded key %s does not decode: %v", enc, err)
		}
		if conn2 != conn || !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip changed the key: %q %#v → %q %#v", conn, p, conn2, p2)
		}
		k1, err1 := offsets.KeyOf(p)
		k2, err2 := offsets.KeyOf(p2)
		if err1 != nil || err2 != nil || k1 != k2 {
			t.Fatalf("lookup keys differ: %s (%v) vs %s (%v)", k1, err1, k2, err2)
		}
	})
}

// FuzzDecodeValue checks that the value decoder never panics and that what it
// accepts re-encodes and decodes to the same offset.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{`{"current.iteration":42}`, `{"a":[1,2.5,"x",null,true]}`, `42`, `null`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		v, err := offsets.DecodeValue(value)
		if err != nil || v == nil {
			return
		}
		enc, err := offsets.EncodeValue(v)
		if err != nil {
			return
		}
		v2, err := offsets.DecodeValue(enc)
		if err != nil || !reflect.DeepEqual(v, v2) {
			t.Fatalf("round trip of %s: %#v → %s → %#v (%v)", value, v, enc, v2, err)
		}
	})
}
