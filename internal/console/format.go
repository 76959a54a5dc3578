package console

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/IBM/sarama"
)

// Formatter turns a consumed record into the bytes the console consumer
// prints for it, newline included.
type Formatter interface {
	// Append appends the text of m to dst and returns the extended slice.
	Append(dst []byte, m *sarama.ConsumerMessage) []byte
}

// NewFormatter returns the formatter for a --format value:
//
//   - "" prints the value, or with printKey the key, a tab and the value,
//     like kafka-console-consumer (a null key or value prints as "null");
//   - "json" prints one JSON object per record (see JSONFormatter);
//   - anything else is a template (see TemplateFormatter).
func NewFormatter(format string, printKey bool) (Formatter, error) {
	switch format {
	case "":
		if printKey {
			return NewTemplateFormatter(`%k\t%v\n`)
		}
		return NewTemplateFormatter(`%v\n`)
	case "json":
		return JSONFormatter{}, nil
	}
	return NewTemplateFormatter(format)
}

// TemplateFormatter prints records with a kcat-style template. Directives:
//
//	%t topic      %p partition   %o offset      %T timestamp (Unix ms, -1 if none)
//	%k key        %v value       %K key length  %S value length (-1 when null)
//	%h headers as key=value pairs joined by ","    %% a percent sign
//
// and the escapes \n, \t, \r and \\. A null key or value prints as "null".
// Key, value and header bytes are written as they are. When the template
// does not end with a newline, one is added after each record.
type TemplateFormatter struct {
	ops []templateOp
}

type templateOp struct {
	verb byte // 0 for a literal
	lit  []byte
}

// NewTemplateFormatter compiles a template; an unknown %-directive is an
// error wrapping ErrInvalidArgument.
func NewTemplateFormatter(tmpl string) (*TemplateFormatter, error) {
	var (
		ops []templateOp
		lit []byte
	)
	flush := func() {
		if len(lit) > 0 {
			ops = append(ops, templateOp{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && i+1 < len(tmpl):
			i++
			switch tmpl[i] {
			case 'n':
				lit = append(lit, '\n')
			case 't':
				lit = append(lit, '\t')
			case 'r':
				lit = append(lit, '\r')
			case '\\':
				lit = append(lit, '\\')
			default:
				lit = append(lit, '\\', tmpl[i])
			}
		case c == '%':
			if i+1 >= len(tmpl) {
				return nil, fmt.Errorf("%w: format %q ends with a lone %%", ErrInvalidArgument, tmpl)
			}
			i++
			switch v := tmpl[i]; v {
			case '%':
				lit = append(lit, '%')
			case 't', 'p', 'o', 'k', 'v', 'T', 'h', 'K', 'S':
				flush()
				ops = append(ops, templateOp{verb: v})
			default:
				return nil, fmt.Errorf("%w: format %q: unknown directive %%%c", ErrInvalidArgument, tmpl, v)
			}
		default:
			lit = append(lit, c)
		}
	}
	// Literals are only flushed before a directive, so lit holds the tail.
	if n := len(lit); n == 0 || lit[n-1] != '\n' {
		lit = append(lit, '\n')
	}
	flush()
	return &TemplateFormatter{ops: ops}, nil
}

// Append implements Formatter.
func (f *TemplateFormatter) Append(dst []byte, m *sarama.ConsumerMessage) []byte {
	for _, op := range f.ops {
		switch op.verb {
		case 0:
			dst = append(dst, op.lit...)
		case 't':
			dst = append(dst, m.Topic...)
		case 'p':
			dst = strconv.AppendInt(dst, int64(m.Partition), 10)
		case 'o':
			dst = strconv.AppendInt(dst, m.Offset, 10)
		case 'T':
			dst = strconv.AppendInt(dst, timestampMillis(m), 10)
		case 'k':
			dst = appendNullable(dst, m.Key)
		case 'v':
			dst = appendNullable(dst, m.Value)
		case 'K':
			dst = strconv.AppendInt(dst, nullableLen(m.Key), 10)
		case 'S':
			dst = strconv.AppendInt(dst, nullableLen(m.Value), 10)
		case 'h':
			for i, h := range m.Headers {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, h.Key...)
				dst = append(dst, '=')
				dst = append(dst, h.Value...)
			}
		}
	}
	return dst
}

func appendNullable(dst, b []byte) []byte {
	if b == nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

func nullableLen(b []byte) int64 {
	if b == nil {
		return -1
	}
	return int64(len(b))
}

// timestampMillis returns the record timestamp in Unix milliseconds, or -1
// when the record has none.
func timestampMillis(m *sarama.ConsumerMessage) int64 {
	if m.Timestamp.IsZero() {
		return -1
	}
	return m.Timestamp.UnixMilli()
}

// JSONFormatter prints one JSON object per record and line:
//
//	{"topic":"t","partition":0,"offset":42,"timestamp":1700000000000,
//	 "key":"k","value":"v","headers":{"h":"x"}}
//
// timestamp is in Unix milliseconds (-1 when the record has none). key and
// value are JSON strings when they are valid UTF-8 and null when the record's
// key or value is null. Bytes that are not valid UTF-8 are written in
// standard base64 instead, and the object then says so with
// "key_encoding":"base64" or "value_encoding":"base64". Header values follow
// the same rule: if any header value is not valid UTF-8, all header values
// are base64 and "headers_encoding":"base64" is added. Headers are an object
// in record order; a repeated header name appears repeatedly (most JSON
// decoders keep the last).
type JSONFormatter struct{}

// Append implements Formatter.
func (JSONFormatter) Append(dst []byte, m *sarama.ConsumerMessage) []byte {
	dst = append(dst, `{"topic":`...)
	dst = appendJSONString(dst, m.Topic)
	dst = append(dst, `,"partition":`...)
	dst = strconv.AppendInt(dst, int64(m.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, m.Offset, 10)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, timestampMillis(m), 10)
	dst = appendJSONBytesField(dst, "key", m.Key)
	dst = appendJSONBytesField(dst, "value", m.Value)
	dst = append(dst, `,"headers":{`...)
	b64 := false
	for _, h := range m.Headers {
		if !utf8.Valid(h.Value) {
			b64 = true
			break
		}
	}
	for i, h := range m.Headers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, string(h.Key))
		dst = append(dst, ':')
		switch {
		case h.Value == nil:
			dst = append(dst, "null"...)
		case b64:
			dst = appendBase64(dst, h.Value)
		default:
			dst = appendJSONString(dst, string(h.Value))
		}
	}
	dst = append(dst, '}')
	if b64 {
		dst = append(dst, `,"headers_encoding":"base64"`...)
	}
	return append(dst, "}\n"...)
}

// appendJSONBytesField appends ,"name":value for a key or value, with the
// base64 fallback described on JSONFormatter.
func appendJSONBytesField(dst []byte, name string, b []byte) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	switch {
	case b == nil:
		return append(dst, "null"...)
	case utf8.Valid(b):
		return appendJSONString(dst, string(b))
	}
	dst = appendBase64(dst, b)
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	return append(dst, `_encoding":"base64"`...)
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. s must be valid UTF-8 for the
// result to be valid JSON; invalid bytes are replaced by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript; escape them
		// as encoding/json does.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
