package filetail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"

	"conflux/connectors"
)

// Header keys every record carries.
const (
	HeaderPath       = "filetail.path"
	HeaderOffset     = "filetail.offset"
	HeaderFileID     = "filetail.file.id"
	HeaderParseError = "filetail.parse.error"
)

// Source partition and offset keys.
const (
	partitionFileID   = "file.id"
	offsetPosition    = "position"
	offsetFingerprint = "fingerprint"
	offsetFPLength    = "fingerprint.length"
	offsetPath        = "path"
)

// record builds the record of one line or multiline event of tf spanning
// [start, end) of the file.
func (t *Task) record(tf *tailFile, text []byte, start, end int64) *connectors.Record {
	rec := &connectors.Record{
		Topic:           t.s.topic,
		SourcePartition: tf.partition,
		SourceOffset: map[string]any{
			offsetPosition:    end,
			offsetFingerprint: tf.fp.sum,
			offsetFPLength:    int64(tf.fp.n),
			offsetPath:        tf.path,
		},
		Headers: connectors.Headers{
			{Key: HeaderPath, Value: tf.path, Schema: connectors.StringSchema},
			{Key: HeaderOffset, Value: start, Schema: connectors.Int64Schema},
			{Key: HeaderFileID, Value: tf.idStr, Schema: connectors.StringSchema},
		},
	}
	if t.s.parseJSON {
		v, err := parseJSON(text)
		if err == nil {
			rec.Value = v
			return rec
		}
		rec.Headers.Add(HeaderParseError, err.Error(), connectors.StringSchema)
	}
	rec.ValueSchema, rec.Value = connectors.StringSchema, toString(text)
	return rec
}

// toString returns text as a string, invalid UTF-8 replaced by U+FFFD.
func toString(text []byte) string {
	if utf8.Valid(text) {
		return string(text)
	}
	return string(bytes.ToValidUTF8(text, []byte("\uFFFD")))
}

// parseJSON decodes one JSON value, whole numbers as int64 and others as
// float64, so that a converter writes 3 back as 3, not 3.0.
func parseJSON(text []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: more data after the value at offset %d", dec.InputOffset())
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) {
			return x.String()
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}
