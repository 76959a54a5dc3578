package convert

import (
	"reflect"
	"testing"
)

// TestFastEnvelopeMatchesGeneralPath decodes each message twice with one
// converter: the first time through the general path (the schema is not yet
// known), the second through the fast path for known schemas. Both must give
// the same schema, value and error.
func TestFastEnvelopeMatchesGeneralPath(t *testing.T) {
	const schema = `{"type":"struct","fields":[` +
		`{"type":"int64","optional":false,"field":"id"},` +
		`{"type":"string","optional":true,"field":"name"},` +
		`{"type":"int32","optional":true,"default":7,"field":"n"},` +
		`{"type":"struct","fields":[{"type":"boolean","optional":false,"field":"ok"}],"optional":true,"field":"inner"},` +
		`{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"tags"},` +
		`{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}` +
		`],"optional":false,"name":"rec"}`
	for _, payload := range []string{
		`{"id":1,"name":"a","n":2,"inner":{"ok":true},"tags":["x","y"],"ts":1700000000000}`,
		`{"id":1}`,
		`{"name":"only","id":-5,"extra":{"deep":[1,2,{"a":null}]}}`,
		`{"id":1,"inner":null,"n":null}`,
		`{"id":1,"id":2}`,
		`{"id":"not a number"}`,
		`{"name":"no id"}`,
		`{"id":1,"inner":{"ok":"yes"}}`,
		`{"id":1,"name":"esc\u00e9\"q"}`,
		`{"id":1, "name" : "spaces" }`,
		`{"id":1,"n":3.5}`,
		`{"id":12345678901234567890}`,
		`[1,2]`,
		`null`,
	} {
		msg := []byte(`{"schema":` + schema + `,"payload":` + payload + `}`)
		c := newJSON(t, nil)
		s1, v1, err1 := c.ToConnectData("t", nil, msg)
		if c.lastDec.Load() == nil {
			t.Fatalf("payload %s: the schema was not remembered, so the fast path is not tested", payload)
		}
		s2, v2, err2 := c.ToConnectData("t", nil, msg)
		if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
			t.Errorf("payload %s: general error %v, fast error %v", payload, err1, err2)
			continue
		}
		if s1 != s2 && !reflect.DeepEqual(s1, s2) {
			t.Errorf("payload %s: schemas differ", payload)
		}
		if !reflect.DeepEqual(v1, v2) {
			t.Errorf("payload %s: general %v, fast %v", payload, v1, v2)
		}
	}
}

// TestFastPathsCopyStringsOnce checks that the strings of a decoded value
// cost one copy of the input between them, not one allocation each, and
// that they are a copy: overwriting the input leaves the value intact.
func TestFastPathsCopyStringsOnce(t *testing.T) {
	c := newJSON(t, map[string]string{"schemas.enable": "false"})
	allocs := func(doc string) float64 {
		data := []byte(doc)
		return testing.AllocsPerRun(200, func() {
			if _, _, err := c.ToConnectData("t", nil, data); err != nil {
				t.Fatal(err)
			}
		})
	}
	bools := allocs(`{"a":true,"b":false,"c":true,"d":false,"e":true,"f":false}`)
	strs := allocs(`{"a":"one","b":"two","c":"three","d":"four","e":"five","f":"six"}`)
	// Each string is boxed into an interface (one allocation); sharing adds
	// one copy of the input, where copying each would add six.
	if extra := strs - bools; extra > 6+1 {
		t.Errorf("six strings cost %v allocations more than six booleans, want at most 7", extra)
	}

	data := []byte(`{"name":"value","list":["x","y"]}`)
	_, v, err := c.ToConnectData("t", nil, data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'z'
	}
	want := map[string]any{"name": "value", "list": []any{"x", "y"}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("after the input was overwritten: %v, want %v", v, want)
	}
}
