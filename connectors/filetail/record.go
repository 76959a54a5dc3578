package filetail

import (
	"bytes"
	"maps"
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
	tpl := tf.template()
	offset := maps.Clone(tpl.offset)
	offset[offsetPosition] = end
	rec := &connectors.Record{
		Topic:           t.s.topic,
		SourcePartition: tf.partition,
		SourceOffset:    offset,
		Headers: connectors.Headers{
			{Key: HeaderPath, Value: tpl.pathValue, Schema: connectors.StringSchema},
			{Key: HeaderOffset, Value: start, Schema: connectors.Int64Schema},
			{Key: HeaderFileID, Value: tpl.idValue, Schema: connectors.StringSchema},
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

// recordTemplate holds what every record of a file repeats, built once:
// the source offset without its position, and the header values, already
// boxed. Records used to spend half their cost building these per line.
type recordTemplate struct {
	// path, id and fp are what the template was built from.
	path, id string
	fp       fingerprint

	offset             map[string]any // cloned per record, position added
	pathValue, idValue any
}

// template returns tf's record template, rebuilt when the file was renamed
// or its fingerprint grew since.
func (tf *tailFile) template() *recordTemplate {
	tpl := &tf.tpl
	if tpl.offset != nil && tpl.path == tf.path && tpl.id == tf.idStr && tpl.fp == tf.fp {
		return tpl
	}
	*tpl = recordTemplate{
		path: tf.path, id: tf.idStr, fp: tf.fp,
		offset: map[string]any{
			offsetPosition:    int64(0),
			offsetFingerprint: tf.fp.sum,
			offsetFPLength:    int64(tf.fp.n),
			offsetPath:        tf.path,
		},
		pathValue: tf.path,
		idValue:   tf.idStr,
	}
	return tpl
}

// toString returns text as a string, invalid UTF-8 replaced by U+FFFD.
func toString(text []byte) string {
	if utf8.Valid(text) {
		return string(text)
	}
	return string(bytes.ToValidUTF8(text, []byte("\uFFFD")))
}
