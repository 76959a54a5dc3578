package offsets

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxFastKeys bounds the objects appendScalarObject handles; source
// partitions and offsets are small maps.
const maxFastKeys = 16

// appendScalarObject appends the compact JSON of m, keys sorted, exactly as
// compactJSON writes it, when every value is a string, bool, nil or an
// integer and no string needs escaping; it reports false otherwise (the
// caller then takes the general, slower path). Source tasks submit an
// offset per record, so the common shape must not go through reflection.
func appendScalarObject(dst []byte, m map[string]any) ([]byte, bool) {
	if len(m) > maxFastKeys {
		return dst, false
	}
	var buf [maxFastKeys]string
	keys := buf[:0]
	for k := range m {
		if !plainString(k) {
			return dst, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		switch v := m[k].(type) {
		case string:
			if !plainString(v) {
				return dst, false
			}
			dst = append(dst, '"')
			dst = append(dst, v...)
			dst = append(dst, '"')
		case int64:
			dst = strconv.AppendInt(dst, v, 10)
		case int:
			dst = strconv.AppendInt(dst, int64(v), 10)
		case int32:
			dst = strconv.AppendInt(dst, int64(v), 10)
		case bool:
			dst = strconv.AppendBool(dst, v)
		case nil:
			dst = append(dst, "null"...)
		default:
			return dst, false
		}
	}
	return append(dst, '}'), true
}

// plainString reports whether s is valid UTF-8 that encoding/json writes
// unescaped (with HTML escaping off): no quote, backslash, control
// character, or U+2028/U+2029.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			if !utf8.ValidString(s) {
				return false
			}
			for _, r := range s[i:] {
				if r == '\u2028' || r == '\u2029' {
					return false
				}
			}
			return true
		}
	}
	return true
}
