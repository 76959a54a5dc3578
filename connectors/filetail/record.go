package filetail

import (
	"bytes"
	"unicode/utf8"

	"conflux/connectors"
	"conflux/internal/jsonvalue"
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
		v, err := jsonvalue.Unmarshal(text)
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
