package configs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"separators", "a=1\nb:2\nc 3\nd = 4\ne : 5\nf\t\t6\ng   =   7  \n",
			map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7  "}},
		{"comments and blanks", "# comment\n! also\n\n   \n  # indented comment\nk=v\n",
			map[string]string{"k": "v"}},
		{"line endings", "a=1\r\nb=2\rc=3\n", map[string]string{"a": "1", "b": "2", "c": "3"}},
		{"no value", "empty\nempty2=\nempty3 :\n", map[string]string{"empty": "", "empty2": "", "empty3": ""}},
		{"second separator kept", "a==b\nc=:d\ne::f\n", map[string]string{"a": "=b", "c": ":d", "e": ":f"}},
		{"continuation", "k = one, \\\n    two, \\\n\tthree\n", map[string]string{"k": "one, two, three"}},
		{"even backslashes", "k=a\\\\\nl=b\n", map[string]string{"k": `a\`, "l": "b"}},
		{"continuation at eof", "k=a\\", map[string]string{"k": "a"}},
		{"continued comment does not continue", "# c \\\nk=v\n", map[string]string{"k": "v"}},
		{"continuation line starting with #", "k=a\\\n  #b\n", map[string]string{"k": "a#b"}},
		{"escapes", `k=\t\n\r\f\\\:\=\#\!\ x\q`, map[string]string{"k": "\t\n\r\f\\:=#! xq"}},
		{"escaped key", `my\ key\:x\=y = v`, map[string]string{"my key:x=y": "v"}},
		{"unicode", `k=\u00e9\u20AC`, map[string]string{"k": "é€"}},
		{"surrogates", `k=\uD83D\uDE00!`, map[string]string{"k": "😀!"}},
		{"lone surrogate", `k=\uD83Dx`, map[string]string{"k": "\uFFFDx"}},
		{"utf8 passthrough", "clé=välue\n", map[string]string{"clé": "välue"}},
		{"duplicate", "k=1\nk=2\n", map[string]string{"k": "2"}},
		{"leading blanks", "   \t k = v\n", map[string]string{"k": "v"}},
		{"worker file", "bootstrap.servers=localhost:9092\nkey.converter=org.apache.kafka.connect.json.JsonConverter\n" +
			"plugin.path=/usr/share/java,/opt/connectors\n",
			map[string]string{"bootstrap.servers": "localhost:9092", "key.converter": "org.apache.kafka.connect.json.JsonConverter",
				"plugin.path": "/usr/share/java,/opt/connectors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePropertiesMalformed(t *testing.T) {
	for _, in := range []string{`k=\u12`, "a=1\nk=\\uZZZZ", `\u00`} {
		_, err := ParseProperties(strings.NewReader(in))
		if !errors.Is(err, ErrProperties) || !strings.Contains(err.Error(), `Malformed \uxxxx encoding.`) {
			t.Errorf("%q: got %v", in, err)
		}
	}
	_, err := ParseProperties(strings.NewReader("a=1\nk=\\uZZZZ"))
	if !strings.Contains(err.Error(), "line 2") {
		t.Errorf("no line number: %v", err)
	}
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{"a=b\n", "k = v \\\n  w\n", `\u0041=\t`, "# c\n!c\n", "a:b c\r\nd e\r", `k=\uD83D\uDE00`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseProperties(strings.NewReader(string(data)))
		if err != nil {
			if !errors.Is(err, ErrProperties) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		// Writing the result back with full escaping must read the same.
		var b strings.Builder
		for k, v := range m {
			b.WriteString(escapeForTest(k, true))
			b.WriteByte('=')
			b.WriteString(escapeForTest(v, false))
			b.WriteByte('\n')
		}
		again, err := ParseProperties(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip changed:\n%q\n%q", m, again)
		}
	})
}

// escapeForTest writes s so that ParseProperties reads it back unchanged.
// It works on bytes, so invalid UTF-8 passes through as it came.
func escapeForTest(s string, key bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '=' || c == ':' || c == '#' || c == '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == ' ' && (key || i == 0):
			b.WriteString(`\ `)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\f':
			b.WriteString(`\f`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
