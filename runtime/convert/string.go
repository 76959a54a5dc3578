package convert

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"conflux/configs"
	"conflux/connectors"
)

// KeyEncoding is the StringConverter's character set setting.
const KeyEncoding = "converter.encoding"

// stringConfigDef is the StringConverter's configuration.
var stringConfigDef = configs.NewDef(
	configs.Key{Name: KeyEncoding, Type: configs.TypeString, Default: "UTF8", Importance: configs.High,
		Width: configs.WidthMedium, DisplayName: "Encoding",
		Documentation: "Character set of the text: UTF8 (also UTF-8), ISO-8859-1 (also latin1) or US-ASCII (also ASCII)."},
)

// charset identifies a supported encoding.
type charset uint8

const (
	utf8Charset charset = iota
	latin1Charset
	asciiCharset
)

// StringConverter is Kafka Connect's StringConverter: values as text. On
// write every value becomes its text (strings as they are, other values as
// fmt prints them, Structs as Kafka prints them) whatever the schema; on
// read the schema is an optional string. It implements
// connectors.Converter and connectors.HeaderConverter; Configure is
// optional (UTF-8 by default), and after it the converter is safe for
// concurrent use.
type StringConverter struct {
	cs charset
}

// NewStringConverter returns a UTF-8 StringConverter.
func NewStringConverter() *StringConverter { return &StringConverter{} }

// Configure reads converter.encoding. Encodings other than UTF-8,
// ISO-8859-1 and US-ASCII give an error wrapping ErrUnsupportedEncoding.
func (c *StringConverter) Configure(config map[string]string, isKey bool) error {
	v, err := stringConfigDef.Parse(config)
	if err != nil {
		return fmt.Errorf("StringConverter: %w", err)
	}
	enc := v.String(KeyEncoding)
	switch strings.ToUpper(strings.ReplaceAll(enc, "_", "-")) {
	case "UTF8", "UTF-8":
		c.cs = utf8Charset
	case "ISO-8859-1", "ISO8859-1", "LATIN1", "ISO-LATIN-1":
		c.cs = latin1Charset
	case "US-ASCII", "ASCII":
		c.cs = asciiCharset
	default:
		return fmt.Errorf("StringConverter: %w %q (supported: UTF-8, ISO-8859-1, US-ASCII)", ErrUnsupportedEncoding, enc)
	}
	return nil
}

// ConfigureHeader configures the converter for header values.
func (c *StringConverter) ConfigureHeader(config map[string]string) error {
	return c.Configure(config, false)
}

// FromConnectData returns the text of value in the configured encoding
// (characters the encoding lacks become '?', as in Java); nil gives nil.
// The schema is ignored.
func (c *StringConverter) FromConnectData(topic string, headers *connectors.RawHeaders, schema *connectors.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	s := textOf(value)
	switch c.cs {
	case latin1Charset, asciiCharset:
		limit := rune(0xff)
		if c.cs == asciiCharset {
			limit = 0x7f
		}
		out := make([]byte, 0, len(s))
		for _, r := range s {
			if r > limit {
				r = '?'
			}
			out = append(out, byte(r))
		}
		return out, nil
	}
	return []byte(s), nil
}

// ToConnectData returns the text as a string with an optional string schema;
// nil data gives a nil value. Invalid input bytes become U+FFFD.
func (c *StringConverter) ToConnectData(topic string, headers connectors.RawHeaders, data []byte) (*connectors.Schema, any, error) {
	if data == nil {
		return connectors.OptionalStringSchema, nil, nil
	}
	switch c.cs {
	case latin1Charset:
		var b strings.Builder
		b.Grow(len(data))
		for _, x := range data {
			b.WriteRune(rune(x))
		}
		return connectors.OptionalStringSchema, b.String(), nil
	case asciiCharset:
		var b strings.Builder
		b.Grow(len(data))
		for _, x := range data {
			if x >= utf8.RuneSelf {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteByte(x)
			}
		}
		return connectors.OptionalStringSchema, b.String(), nil
	}
	return connectors.OptionalStringSchema, strings.ToValidUTF8(string(data), "\uFFFD"), nil
}

// FromConnectHeader writes a header value as FromConnectData does.
func (c *StringConverter) FromConnectHeader(topic, key string, schema *connectors.Schema, value any) ([]byte, error) {
	return c.FromConnectData(topic, nil, schema, value)
}

// ToConnectHeader reads a header value as ToConnectData does.
func (c *StringConverter) ToConnectHeader(topic, key string, data []byte) (*connectors.Schema, any, error) {
	return c.ToConnectData(topic, nil, data)
}

// textOf formats a Connect value as text.
func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float32:
		return string(appendFloat(nil, float64(x), 32))
	case float64:
		return string(appendFloat(nil, x, 64))
	case bool:
		return strconv.FormatBool(x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
