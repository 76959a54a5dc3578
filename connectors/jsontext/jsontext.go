// Package jsontext writes Connect data (the values records carry, with
// or without a schema) as compact JSON, in the shape Kafka's JsonConverter
// with schemas.enable=false gives. Connectors that send record values as
// text (the file sink's lines, the HTTP sink's request bodies) share it,
// so that a record reads the same wherever it goes.
package jsontext

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"conflux/connectors"
)

// Append appends v, described by schema s (nil for schemaless data), as
// compact JSON: struct fields in schema order (with their default when
// null), map keys sorted, bytes in base64, Timestamp as epoch milliseconds,
// Date as epoch days, Time as milliseconds of the day, Decimal as a plain
// JSON number, and non-finite floats as the strings "NaN", "Infinity" and
// "-Infinity".
func Append(b []byte, s *connectors.Schema, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case uint:
		return strconv.AppendUint(b, uint64(x), 10)
	case float32:
		return appendFloat(b, float64(x), 32)
	case float64:
		return appendFloat(b, x, 64)
	case []byte:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"')
	case time.Time:
		if s != nil {
			switch s.Name {
			case connectors.DateName:
				return strconv.AppendInt(b, int64(connectors.EpochDays(x)), 10)
			case connectors.TimeName:
				return strconv.AppendInt(b, int64(connectors.MillisOfDay(x)), 10)
			}
		}
		return strconv.AppendInt(b, x.UnixMilli(), 10)
	case connectors.Decimal:
		return append(b, x.String()...)
	case *connectors.Struct:
		return appendStruct(b, x)
	case []any:
		var items *connectors.Schema
		if s != nil {
			items = s.Items
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = Append(b, items, e)
		}
		return append(b, ']')
	case map[string]any:
		var values *connectors.Schema
		if s != nil {
			values = s.Values
		}
		var room [16]string // most maps are small: no allocation for their keys
		keys := room[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = Append(b, values, x[k])
		}
		return append(b, '}')
	case map[any]any:
		return appendAnyMap(b, s, x)
	}
	return appendString(b, fmt.Sprint(v))
}

func appendStruct(b []byte, st *connectors.Struct) []byte {
	sch := st.Schema()
	b = append(b, '{')
	for i := range sch.Fields {
		f := &sch.Fields[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Name)
		b = append(b, ':')
		v := st.At(i)
		if v == nil {
			v = f.Schema.Default
		}
		b = Append(b, f.Schema, v)
	}
	return append(b, '}')
}

// appendAnyMap writes a map with keys of any type: a JSON object when every
// key is a string, else an array of [key, value] pairs as JsonConverter
// writes maps with non-string keys. Entries are sorted by their key's JSON
// text.
func appendAnyMap(b []byte, s *connectors.Schema, m map[any]any) []byte {
	var keySchema, valueSchema *connectors.Schema
	if s != nil {
		keySchema, valueSchema = s.Keys, s.Values
	}
	type entry struct {
		key string // JSON text of the key
		v   any
	}
	entries := make([]entry, 0, len(m))
	allStrings := true
	for k, v := range m {
		if _, ok := k.(string); !ok {
			allStrings = false
		}
		entries = append(entries, entry{string(Append(nil, keySchema, k)), v})
	}
	slices.SortFunc(entries, func(a, c entry) int { return strings.Compare(a.key, c.key) })
	open, sep, closing := byte('{'), byte(':'), byte('}')
	if !allStrings {
		open, sep, closing = '[', ',', ']'
	}
	b = append(b, open)
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		if !allStrings {
			b = append(b, '[')
		}
		b = append(b, e.key...)
		b = append(b, sep)
		b = Append(b, valueSchema, e.v)
		if !allStrings {
			b = append(b, ']')
		}
	}
	return append(b, closing)
}

// appendFloat writes a float as encoding/json does, or a non-finite one as
// a string.
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes a JSON string. Invalid UTF-8 becomes U+FFFD; HTML
// characters are not escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
