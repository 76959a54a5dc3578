package console

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func testMessage() *sarama.ConsumerMessage {
	return &sarama.ConsumerMessage{
		Topic: "orders", Partition: 2, Offset: 42,
		Timestamp: time.UnixMilli(1700000000123),
		Key:       []byte("k1"), Value: []byte("hello"),
		Headers: []*sarama.RecordHeader{
			{Key: []byte("a"), Value: []byte("1")},
			{Key: []byte("b"), Value: []byte("x=y")},
		},
	}
}

func TestTemplateFormatter(t *testing.T) {
	nullMsg := &sarama.ConsumerMessage{Topic: "t", Partition: 0, Offset: 7}
	tests := []struct {
		format   string
		printKey bool
		msg      *sarama.ConsumerMessage
		want     string
	}{
		{"", false, testMessage(), "hello\n"},
		{"", true, testMessage(), "k1\thello\n"},
		{"", true, nullMsg, "null\tnull\n"},
		{`%k %v`, false, testMessage(), "k1 hello\n"},
		{`%t/%p/%o`, false, testMessage(), "orders/2/42\n"},
		{`%T`, false, testMessage(), "1700000000123\n"},
		{`%T`, false, nullMsg, "-1\n"},
		{`%h`, false, testMessage(), "a=1,b=x=y\n"},
		{`[%h]`, false, nullMsg, "[]\n"},
		{`%K %S`, false, testMessage(), "2 5\n"},
		{`%K %S`, false, nullMsg, "-1 -1\n"},
		{`100%% %v`, false, testMessage(), "100% hello\n"},
		{`%k\t%v\n`, false, testMessage(), "k1\thello\n"},
		{`%v\n\n`, false, testMessage(), "hello\n\n"},
		{`%v\r\n`, false, testMessage(), "hello\r\n"},
		{`a\\b\q`, false, testMessage(), "a\\b\\q\n"},
		{`%v|`, false, testMessage(), "hello|\n"},
		{`%v`, true, testMessage(), "hello\n"}, // --print-key only changes the default format
	}
	for _, tt := range tests {
		f, err := NewFormatter(tt.format, tt.printKey)
		if err != nil {
			t.Errorf("NewFormatter(%q): %v", tt.format, err)
			continue
		}
		if got := string(f.Append(nil, tt.msg)); got != tt.want {
			t.Errorf("format %q printKey=%v: got %q, want %q", tt.format, tt.printKey, got, tt.want)
		}
	}
}

func TestTemplateFormatterErrors(t *testing.T) {
	for _, format := range []string{`%x`, `%v %`, `%Z`} {
		if _, err := NewFormatter(format, false); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewFormatter(%q) = %v, want ErrInvalidArgument", format, err)
		}
	}
}

func TestTemplateFormatterAppends(t *testing.T) {
	f, _ := NewFormatter(`%o`, false)
	buf := f.Append([]byte("x"), testMessage())
	if string(buf) != "x42\n" {
		t.Errorf("got %q", buf)
	}
}

type decodedJSON struct {
	Topic           string             `json:"topic"`
	Partition       int32              `json:"partition"`
	Offset          int64              `json:"offset"`
	Timestamp       int64              `json:"timestamp"`
	Key             *string            `json:"key"`
	Value           *string            `json:"value"`
	KeyEncoding     string             `json:"key_encoding"`
	ValueEncoding   string             `json:"value_encoding"`
	Headers         map[string]*string `json:"headers"`
	HeadersEncoding string             `json:"headers_encoding"`
}

func decodeJSON(t *testing.T, b []byte) decodedJSON {
	t.Helper()
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatalf("JSON line %q does not end with a newline", b)
	}
	var d decodedJSON
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return d
}

func TestJSONFormatter(t *testing.T) {
	got := string(JSONFormatter{}.Append(nil, testMessage()))
	want := `{"topic":"orders","partition":2,"offset":42,"timestamp":1700000000123,"key":"k1","value":"hello","headers":{"a":"1","b":"x=y"}}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	null := string(JSONFormatter{}.Append(nil, &sarama.ConsumerMessage{Topic: "t", Offset: 1}))
	if want := `{"topic":"t","partition":0,"offset":1,"timestamp":-1,"key":null,"value":null,"headers":{}}` + "\n"; null != want {
		t.Errorf("null record: got %s want %s", null, want)
	}

	m := testMessage()
	m.Key = []byte{0xff, 0x00}
	m.Value = []byte("tab\there \"quoted\" \\ \x01 \u2028 ✓ <&>")
	m.Headers = append(m.Headers, &sarama.RecordHeader{Key: []byte("bin"), Value: []byte{0xc3, 0x28}})
	d := decodeJSON(t, JSONFormatter{}.Append(nil, m))
	if d.KeyEncoding != "base64" || *d.Key != base64.StdEncoding.EncodeToString(m.Key) {
		t.Errorf("binary key: %+v", d)
	}
	if d.ValueEncoding != "" || *d.Value != string(m.Value) {
		t.Errorf("value %q, want %q", *d.Value, m.Value)
	}
	if d.HeadersEncoding != "base64" || *d.Headers["bin"] != base64.StdEncoding.EncodeToString([]byte{0xc3, 0x28}) ||
		*d.Headers["a"] != base64.StdEncoding.EncodeToString([]byte("1")) {
		t.Errorf("headers: %+v", d)
	}
}

func FuzzJSONFormatter(f *testing.F) {
	f.Add([]byte("k"), []byte("v"), []byte("h"), []byte("hv"))
	f.Add([]byte{0xff}, []byte("\x00\n\"\\"), []byte("\u2029"), []byte{0xc3})
	f.Fuzz(func(t *testing.T, key, value, hk, hv []byte) {
		m := &sarama.ConsumerMessage{Topic: "t", Key: key, Value: value,
			Headers: []*sarama.RecordHeader{{Key: hk, Value: hv}}}
		out := JSONFormatter{}.Append(nil, m)
		d := decodeJSON(t, out)
		check := func(name string, s *string, enc string, want []byte) {
			if want == nil {
				if s != nil {
					t.Fatalf("%s: got %q for null", name, *s)
				}
				return
			}
			var got []byte
			if enc == "base64" {
				var err error
				if got, err = base64.StdEncoding.DecodeString(*s); err != nil {
					t.Fatal(err)
				}
			} else {
				got = []byte(*s)
			}
			if string(got) != string(want) {
				t.Fatalf("%s: round trip %q -> %q", name, want, got)
			}
		}
		check("key", d.Key, d.KeyEncoding, key)
		check("value", d.Value, d.ValueEncoding, value)
	})
}

func FuzzTemplateFormatter(f *testing.F) {
	f.Add(`%k %v\n`)
	f.Add(`%%%t\%`)
	f.Fuzz(func(t *testing.T, tmpl string) {
		tf, err := NewTemplateFormatter(tmpl)
		if err != nil {
			return
		}
		out := tf.Append(nil, testMessage())
		if len(out) == 0 || out[len(out)-1] != '\n' {
			t.Fatalf("template %q: output %q does not end with a newline", tmpl, out)
		}
	})
}
