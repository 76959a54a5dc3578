package convert

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"conflux/connectors"
)

// FuzzJSONToConnect feeds arbitrary bytes to the JSON reader, with and
// without schemas. It must never panic, must fail only with data errors,
// and whatever it reads must write back to bytes that read and write back
// identically.
func FuzzJSONToConnect(f *testing.F) {
	f.Add([]byte(referenceExample), true)
	f.Add([]byte(`{"a":[1,2.5,"x",null,true,{"b":{}}]}`), false)
	f.Add([]byte(`{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"string","optional":true}},"payload":[[1,"a"],[2,null]]}`), true)
	f.Add([]byte(`{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":"AeI="}`), true)
	f.Add([]byte(`"\ud83d\ude00\u0000"`), false)
	f.Add([]byte{}, true)
	f.Add([]byte(" null "), false)
	f.Fuzz(func(t *testing.T, data []byte, schemas bool) {
		c := NewJSONConverter()
		cfg := map[string]string{"schemas.enable": "false"}
		if schemas {
			cfg["schemas.enable"] = "true"
		}
		if err := c.Configure(cfg, false); err != nil {
			t.Fatal(err)
		}
		s, v, err := c.ToConnectData("t", nil, data)
		if err != nil {
			if !errors.Is(err, connectors.ErrData) {
				t.Fatalf("error without ErrData: %v", err)
			}
			return
		}
		first, err := c.FromConnectData("t", &connectors.RawHeaders{}, s, v)
		if err != nil {
			t.Fatalf("cannot write back what was read (%v %#v): %v", s, v, err)
		}
		s2, v2, err := c.ToConnectData("t", nil, first)
		if err != nil {
			t.Fatalf("cannot read %s: %v", first, err)
		}
		second, err := c.FromConnectData("t", &connectors.RawHeaders{}, s2, v2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("not stable:\n%s\n%s", first, second)
		}
	})
}

// FuzzSchemalessFastPath checks that the streaming decoder of schemaless
// objects agrees with the general path whenever it takes a document.
func FuzzSchemalessFastPath(f *testing.F) {
	f.Add([]byte(`{"a":[1,2.5,"x",null,true,{"b":{}}],"c":{"d":-1e400,"e":"\u00e9"},"a":3}`))
	f.Add([]byte(` {"registertime":1493819497170,"userid":"User_1","regionid":"Region_5","gender":"FEMALE"} `))
	f.Add([]byte(`{"x":{"y":{"z":[{}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewJSONConverter()
		if err := c.Configure(map[string]string{"schemas.enable": "false"}, false); err != nil {
			t.Fatal(err)
		}
		p := getParser(data, false)
		fast, ok, fastErr := c.decodeSchemalessFast(p)
		putParser(p)
		if !ok {
			return
		}
		p = getParser(data, false)
		defer putParser(p)
		doc, err := p.document()
		var general any
		if err == nil {
			general, err = c.schemaless(&doc, 0)
		}
		switch {
		case (fastErr == nil) != (err == nil):
			t.Fatalf("%q: fast path error %v, general path error %v", data, fastErr, err)
		case err == nil && !reflect.DeepEqual(fast, general):
			t.Fatalf("%q: fast path %#v, general path %#v", data, fast, general)
		}
	})
}
