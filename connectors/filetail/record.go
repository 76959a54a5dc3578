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
// [start, end) of the file; direct says text is the line at the start of
// tf's unread buffer (not a joined event), which lets its string be cut
// from one made for many lines. The record carries no source offset yet:
// settle gives one to the last record of each file a poll returns.
func (t *Task) record(tf *tailFile, text []byte, start, end int64, direct bool) *connectors.Record {
	tpl := tf.template()
	rec := t.records.One()
	*rec = connectors.Record{
		Topic:           t.s.topic,
		SourcePartition: tf.partition,
		Headers: append(t.headers.Slice(3),
			connectors.Header{Key: HeaderPath, Value: tpl.pathValue, Schema: connectors.StringSchema},
			connectors.Header{Key: HeaderOffset, Value: start, Schema: connectors.Int64Schema},
			connectors.Header{Key: HeaderFileID, Value: tpl.idValue, Schema: connectors.StringSchema},
		),
	}
	if tf.last == nil {
		t.unsettled = append(t.unsettled, tf)
	}
	tf.last, tf.lastEnd = rec, end
	if t.s.parseJSON {
		v, err := jsonvalue.Unmarshal(text)
		if err == nil {
			rec.Value = v
			return rec
		}
		rec.Headers.Add(HeaderParseError, err.Error(), connectors.StringSchema)
	}
	rec.ValueSchema = connectors.StringSchema
	if direct {
		rec.Value = tf.lineString(text)
	} else {
		rec.Value = toString(text)
	}
	return rec
}

// settle gives the source offset of every file read since the last call
// to the last record read from it. The records before it carry their file's
// partition without an offset: the runtime keeps their order and commits
// the file's position only once all of them are acknowledged, so one offset
// map a poll serves instead of one a line.
func (t *Task) settle() {
	for _, tf := range t.unsettled {
		offset := maps.Clone(tf.template().offset)
		offset[offsetPosition] = tf.lastEnd
		tf.last.SourceOffset = offset
		tf.last = nil
	}
	clear(t.unsettled)
	t.unsettled = t.unsettled[:0]
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

// stringWindow is how many bytes of a file's buffer lineString turns into
// one string.
const stringWindow = 64 << 10

// lineString returns text, the line at the start of tf's unread buffer, as
// a string, invalid UTF-8 replaced by U+FFFD. The string is cut from one
// made of up to stringWindow bytes of the buffer at once: one allocation for
// many lines, which share it. tf.str stays valid until the file is read
// from another position (seek clears it).
func (tf *tailFile) lineString(text []byte) string {
	n := len(text)
	if tf.pos < tf.strPos || tf.pos+int64(n) > tf.strPos+int64(len(tf.str)) {
		tf.str = string(tf.buf[tf.start:max(tf.start+n, min(tf.end, tf.start+stringWindow))])
		tf.strPos = tf.pos
	}
	i := int(tf.pos - tf.strPos)
	if s := tf.str[i : i+n]; utf8.ValidString(s) {
		return s
	}
	return toString(text)
}

// toString returns text as a string, invalid UTF-8 replaced by U+FFFD.
func toString(text []byte) string {
	if utf8.Valid(text) {
		return string(text)
	}
	return string(bytes.ToValidUTF8(text, []byte("\uFFFD")))
}
