package connectcli

import (
	"bytes"
	"maps"
	"testing"
	"unicode/utf8"

	"conflux/configs"
)

func TestWriteProperties(t *testing.T) {
	config := map[string]string{
		"connection.url":  "jdbc:postgresql://db:5432/app?ssl=true",
		"name":            "pg",
		"key with=sep:s":  "v",
		"#not.a.comment":  "!not either",
		"leading":         "  two blanks, trailing kept  ",
		"multi":           "line1\nline2\r\n\ttabbed",
		"backslash":       `C:\data\in`,
		"empty":           "",
		"unicode":         "naïve ☃",
		"control\x01char": "bell\x07",
	}
	var buf bytes.Buffer
	if err := WriteProperties(&buf, config); err != nil {
		t.Fatal(err)
	}
	want := `\#not.a.comment=!not either
backslash=C:\\data\\in
connection.url=jdbc:postgresql://db:5432/app?ssl=true
control\u0001char=bell\u0007
empty=
key\ with\=sep\:s=v
leading=\  two blanks, trailing kept  
multi=line1\nline2\r\n\ttabbed
name=pg
unicode=naïve ☃
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	back, err := configs.ParseProperties(&buf)
	if err != nil || !maps.Equal(back, config) {
		t.Errorf("read back %q, %v; want %q", back, err, config)
	}
}

// FuzzWritePropertiesRoundTrip checks that configs.ParseProperties reads
// back exactly what WriteProperties wrote.
func FuzzWritePropertiesRoundTrip(f *testing.F) {
	f.Add("key", "value")
	f.Add(" k=:#!", " v\\\n\r\t\f")
	f.Add("#", "\\u0041")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, k, v string) {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			t.Skip("config values are UTF-8 text")
		}
		config := map[string]string{k: v, "other": v}
		var buf bytes.Buffer
		if err := WriteProperties(&buf, config); err != nil {
			t.Fatal(err)
		}
		back, err := configs.ParseProperties(bytes.NewReader(buf.Bytes()))
		if err != nil || !maps.Equal(back, config) {
			t.Fatalf("wrote %q, read back %q, %v", buf.String(), back, err)
		}
	})
}
