package file

import (
	"conflux/connectors"
	"conflux/connectors/jsontext"
)

// appendLine appends the text form of a record value and a newline.
//
// Kafka's FileStreamSink writes value.toString(). Conflux defines the text
// form of Connect data instead: a string as is, bytes as is, null as
// "null", and anything else (numbers, booleans, structs, maps, arrays,
// logical types) as compact JSON, the way JsonConverter with
// schemas.enable=false would write it (see jsontext.Append).
func appendLine(b []byte, s *connectors.Schema, v any) []byte {
	switch x := v.(type) {
	case string:
		b = append(b, x...)
	case []byte:
		b = append(b, x...)
	case nil:
		b = append(b, "null"...)
	default:
		b = jsontext.Append(b, s, v)
	}
	return append(b, '\n')
}
