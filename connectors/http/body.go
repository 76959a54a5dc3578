package http

import (
	"conflux/connectors"
	"conflux/connectors/jsontext"
)

// Content types of the request bodies; a Content-Type in http.headers
// overrides them.
const (
	contentJSON   = "application/json"
	contentNDJSON = "application/x-ndjson"
)

// render turns a record's value into its part of a request body: JSON, or
// with record.format=raw, strings and bytes as they are.
func render(raw bool, rec *connectors.Record) []byte {
	if raw {
		switch v := rec.Value.(type) {
		case string:
			return []byte(v)
		case []byte:
			return append([]byte(nil), v...)
		}
	}
	return jsontext.Append(nil, rec.ValueSchema, rec.Value)
}

// body joins the records of a batch into a request body in the configured
// format, and gives its content type.
func body(format string, items []*item) ([]byte, string) {
	if len(items) == 1 && (format == formatSingle || items[0].method == "DELETE") {
		return items[0].body, contentJSON
	}
	n := 2
	for _, it := range items {
		n += len(it.body) + 1
	}
	b := make([]byte, 0, n)
	if format == formatNDJSON {
		for _, it := range items {
			b = append(b, it.body...)
			b = append(b, '\n')
		}
		return b, contentNDJSON
	}
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it.body...)
	}
	return append(b, ']'), contentJSON
}
