package connectors

import (
	"slices"
	"strconv"
	"time"
)

// Record is one message flowing through Conflux (Kafka's ConnectRecord,
// SourceRecord and SinkRecord in one type).
//
// A source task fills Topic, Key/KeySchema, Value/ValueSchema and
// SourcePartition/SourceOffset, and optionally KafkaPartition, Headers and
// Timestamp. A sink task receives records with every Kafka field set
// (KafkaPartition, KafkaOffset, Timestamp, TimestampType).
//
// Records are passed by pointer but treated as immutable once handed over:
// transforms return a modified Copy instead of changing their input, and
// tasks must not change a record after Poll returned it or while Put holds
// it.
type Record struct {
	// Topic is the Kafka topic.
	Topic string
	// KafkaPartition is the Kafka partition; nil lets the producer choose
	// it from the key (source records). Use [Partition] to set it.
	KafkaPartition *int32
	// KeySchema and Key are the record key and its schema (nil schema for
	// schemaless data).
	KeySchema *Schema
	Key       any
	// ValueSchema and Value are the record value and its schema. A nil
	// Value is a tombstone.
	ValueSchema *Schema
	Value       any
	// Headers are the record's headers, in order.
	Headers Headers
	// Timestamp is the record's time; the zero time lets the producer use
	// the current time (source records).
	Timestamp time.Time

	// SourcePartition identifies where a source record came from (a file,
	// a table, a database) and SourceOffset how far reading has got in it.
	// Both are schemaless values (maps, slices, strings, numbers, booleans,
	// nil) stored as JSON in the offsets topic; nil SourcePartition means
	// the record carries no offset. The offset becomes committable once
	// Kafka has acknowledged the record and every earlier record of its
	// partition. A record may carry its partition with a nil offset: it
	// keeps its place in that order without moving the offset, so a source
	// that reads many records at once can give the offset to the last one
	// only. Source records only.
	SourcePartition map[string]any
	SourceOffset    map[string]any

	// KafkaOffset is the record's offset in its partition. Sink records
	// only.
	KafkaOffset int64
	// TimestampType says what Timestamp means. Sink records only.
	TimestampType TimestampType
}

// Partition returns a pointer to p, for Record.KafkaPartition.
func Partition(p int32) *int32 { return &p }

// Copy returns a shallow copy of r that a transform may modify. Keys,
// values, schemas and the source partition and offset maps are shared and
// must not be modified in place. The headers are shared too, without spare
// capacity, so that Add and Remove on the copy leave r's headers alone;
// assign a whole new list rather than changing an element in place.
// Sharing them keeps the copy to one allocation, which matters in a chain
// of transforms.
func (r *Record) Copy() *Record {
	c := *r
	c.Headers = slices.Clip(r.Headers)
	return &c
}

// TopicPartition returns the record's topic and partition, with partition
// -1 when KafkaPartition is nil.
func (r *Record) TopicPartition() TopicPartition {
	tp := TopicPartition{Topic: r.Topic, Partition: -1}
	if r.KafkaPartition != nil {
		tp.Partition = *r.KafkaPartition
	}
	return tp
}

// TimestampType says how a Kafka record's timestamp was set.
type TimestampType int8

// Timestamp types, with Kafka's names as their String form.
const (
	NoTimestampType TimestampType = iota // NoTimestampType
	CreateTime                           // CreateTime: set by the producer
	LogAppendTime                        // LogAppendTime: set by the broker
)

// String returns Kafka's name: NoTimestampType, CreateTime or LogAppendTime.
func (t TimestampType) String() string {
	switch t {
	case CreateTime:
		return "CreateTime"
	case LogAppendTime:
		return "LogAppendTime"
	default:
		return "NoTimestampType"
	}
}

// TopicPartition names one partition of a Kafka topic. It is comparable and
// used as a map key.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String returns "topic-partition", as Kafka prints it.
func (tp TopicPartition) String() string {
	return tp.Topic + "-" + strconv.FormatInt(int64(tp.Partition), 10)
}

// Header is one record header: a key and a Connect value with an optional
// schema (Kafka's Connect Header).
type Header struct {
	Key    string
	Value  any
	Schema *Schema
}

// Headers is an ordered list of headers; keys may repeat.
type Headers []Header

// Add appends a header.
func (h *Headers) Add(key string, value any, schema *Schema) {
	*h = append(*h, Header{Key: key, Value: value, Schema: schema})
}

// Last returns the last header with key.
func (h Headers) Last(key string) (Header, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return h[i], true
		}
	}
	return Header{}, false
}

// All returns every header with key, in order.
func (h Headers) All(key string) []Header {
	var out []Header
	for _, x := range h {
		if x.Key == key {
			out = append(out, x)
		}
	}
	return out
}

// Remove deletes every header with key. It builds a new list when it
// removes anything, so that a record's Copy can share its headers.
func (h *Headers) Remove(key string) {
	match := func(x Header) bool { return x.Key == key }
	if slices.ContainsFunc(*h, match) {
		*h = slices.DeleteFunc(h.Clone(), match)
	}
}

// Clone returns a copy of the list; nil stays nil.
func (h Headers) Clone() Headers { return slices.Clone(h) }

// RawHeader is a Kafka record header as it travels on the wire: a key and
// bytes (nil for a null value).
type RawHeader struct {
	Key   string
	Value []byte
}

// RawHeaders is the ordered list of a Kafka record's wire headers, as a
// [Converter] sees them.
type RawHeaders []RawHeader

// Add appends a header.
func (h *RawHeaders) Add(key string, value []byte) {
	*h = append(*h, RawHeader{Key: key, Value: value})
}

// Last returns the value of the last header with key.
func (h RawHeaders) Last(key string) ([]byte, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return h[i].Value, true
		}
	}
	return nil, false
}

// RecordMetadata describes where Kafka stored a record.
type RecordMetadata struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
}
