package status

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Record keys, Kafka Connect's.
const (
	prefixConnector = "status-connector-"
	prefixTask      = "status-task-"
	prefixTopic     = "status-topic-"
	topicSeparator  = ":connector-"
)

func connectorKey(name string) []byte { return []byte(prefixConnector + name) }

func taskKey(id TaskID) []byte {
	return strconv.AppendInt([]byte(prefixTask+id.Connector+"-"), int64(id.Task), 10)
}

func topicKey(connector, topic string) []byte {
	return []byte(prefixTopic + topic + topicSeparator + connector)
}

// keyKind says which entity a record key names.
type keyKind int

const (
	keyConnector keyKind = iota + 1
	keyTask
	keyTopic
)

// recordKey is a parsed record key.
type recordKey struct {
	kind      keyKind
	connector string
	task      int    // keyTask
	topic     string // keyTopic
}

// parseKey reads a status topic key the way Kafka Connect does: a task key
// ends in "-<n>" after a non-empty connector name (which may itself contain
// dashes); a topic key's topic runs up to its first ':' (topic names cannot
// contain one), and what follows must be ":connector-<name>".
func parseKey(key string) (recordKey, error) {
	switch {
	case strings.HasPrefix(key, prefixConnector):
		name := key[len(prefixConnector):]
		if name == "" {
			return recordKey{}, fmt.Errorf("connector status key without a connector name")
		}
		return recordKey{kind: keyConnector, connector: name}, nil
	case strings.HasPrefix(key, prefixTask):
		rest := key[len(prefixTask):]
		i := strings.LastIndexByte(rest, '-')
		if i <= 0 {
			return recordKey{}, fmt.Errorf("task status key is not %s<connector>-<task>", prefixTask)
		}
		n, err := strconv.ParseInt(rest[i+1:], 10, 32)
		if err != nil || n < 0 {
			return recordKey{}, fmt.Errorf("task status key with an invalid task number %q", rest[i+1:])
		}
		return recordKey{kind: keyTask, connector: rest[:i], task: int(n)}, nil
	case strings.HasPrefix(key, prefixTopic):
		rest := key[len(prefixTopic):]
		i := strings.IndexByte(rest, ':')
		if i <= 0 || !strings.HasPrefix(rest[i:], topicSeparator) || len(rest) == i+len(topicSeparator) {
			return recordKey{}, fmt.Errorf("topic status key is not %s<topic>%s<connector>", prefixTopic, topicSeparator)
		}
		return recordKey{kind: keyTopic, topic: rest[:i], connector: rest[i+len(topicSeparator):]}, nil
	}
	return recordKey{}, fmt.Errorf("unknown key")
}

// EncodeStatus returns the record value Kafka Connect writes for st: the
// fields state, trace (null when empty), worker_id and generation, in that
// order, in compact JSON escaped as Jackson escapes it. For the DESTROYED
// state it returns nil, a tombstone.
func EncodeStatus(st Status) []byte {
	if st.State == Destroyed {
		return nil
	}
	b := make([]byte, 0, 64+len(st.State)+len(st.Trace)+len(st.WorkerID))
	b = append(b, `{"state":`...)
	b = appendJSONString(b, string(st.State))
	b = append(b, `,"trace":`...)
	if st.Trace == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, st.Trace)
	}
	b = append(b, `,"worker_id":`...)
	b = appendJSONString(b, st.WorkerID)
	b = append(b, `,"generation":`...)
	b = strconv.AppendInt(b, int64(st.Generation), 10)
	return append(b, '}')
}

// DecodeStatus parses a connector or task status value, as Kafka Connect
// reads it: a JSON object whose "state" names a state and whose "generation"
// is an integer (a 32-bit one; Kafka Connect would truncate a larger one,
// Conflux rejects it); "trace" and "worker_id" are strings or null or
// missing; other fields are ignored. A nil value (a tombstone) decodes as
// the DESTROYED state. Errors wrap ErrInvalidRecord.
func DecodeStatus(value []byte) (Status, error) {
	if value == nil {
		return Status{State: Destroyed}, nil
	}
	fields, err := decodeObject(value)
	if err != nil {
		return Status{}, err
	}
	state, ok, err := stringField(fields, "state")
	if err != nil {
		return Status{}, err
	}
	if !ok || !State(state).Valid() {
		return Status{}, invalid("unknown state %q", state)
	}
	trace, _, err := stringField(fields, "trace")
	if err != nil {
		return Status{}, err
	}
	worker, _, err := stringField(fields, "worker_id")
	if err != nil {
		return Status{}, err
	}
	gen, err := intField(fields, "generation", 32)
	if err != nil {
		return Status{}, err
	}
	return Status{State: State(state), Trace: trace, WorkerID: worker, Generation: int32(gen)}, nil
}

// EncodeTopicStatus returns the record value Kafka Connect writes for ts:
// {"topic":{"name":…,"connector":…,"task":…,"discoverTimestamp":<ms>}}.
func EncodeTopicStatus(ts TopicStatus) []byte {
	b := make([]byte, 0, 96+len(ts.Topic)+len(ts.Connector))
	b = append(b, `{"topic":{"name":`...)
	b = appendJSONString(b, ts.Topic)
	b = append(b, `,"connector":`...)
	b = appendJSONString(b, ts.Connector)
	b = append(b, `,"task":`...)
	b = strconv.AppendInt(b, int64(ts.Task), 10)
	b = append(b, `,"discoverTimestamp":`...)
	b = strconv.AppendInt(b, ts.Discovered.UnixMilli(), 10)
	return append(b, "}}"...)
}

// DecodeTopicStatus parses a topic status value: a JSON object whose "topic"
// object holds an integer "task" (32-bit) and "discoverTimestamp" (epoch
// milliseconds), and "name" and "connector" as strings, null or missing
// (the store then takes them from the record key). Other fields are
// ignored. Errors, including for a nil value, wrap ErrInvalidRecord.
func DecodeTopicStatus(value []byte) (TopicStatus, error) {
	if value == nil {
		return TopicStatus{}, invalid("tombstone")
	}
	outer, err := decodeObject(value)
	if err != nil {
		return TopicStatus{}, err
	}
	raw, ok := outer["topic"]
	if !ok {
		return TopicStatus{}, invalid(`no "topic" object`)
	}
	fields, err := decodeObject(raw)
	if err != nil {
		return TopicStatus{}, fmt.Errorf("%w (in \"topic\")", err)
	}
	name, _, err := stringField(fields, "name")
	if err != nil {
		return TopicStatus{}, err
	}
	connector, _, err := stringField(fields, "connector")
	if err != nil {
		return TopicStatus{}, err
	}
	task, err := intField(fields, "task", 32)
	if err != nil {
		return TopicStatus{}, err
	}
	ms, err := intField(fields, "discoverTimestamp", 64)
	if err != nil {
		return TopicStatus{}, err
	}
	return TopicStatus{Topic: name, Connector: connector, Task: int(task), Discovered: time.UnixMilli(ms)}, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRecord, fmt.Sprintf(format, args...))
}

// decodeObject parses one JSON object into its raw fields; field names are
// case-sensitive and a repeated name keeps its last value, as with Jackson.
func decodeObject(b []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, invalid("not a JSON object: %v", err)
	}
	if fields == nil {
		return nil, invalid("null instead of a JSON object")
	}
	return fields, nil
}

// stringField returns a string field; ok is false when it is missing or
// null.
func stringField(fields map[string]json.RawMessage, name string) (s string, ok bool, err error) {
	raw, present := fields[name]
	if !present || bytes.Equal(raw, []byte("null")) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, invalid("%q is not a string", name)
	}
	return s, true, nil
}

// intField returns a required integer field that fits in bits. Like
// Kafka Connect's JsonConverter, which yields a Long only for a JSON
// integer, it refuses fractions and exponents ("1.0", "1e3").
func intField(fields map[string]json.RawMessage, name string, bits int) (int64, error) {
	raw, ok := fields[name]
	if !ok {
		return 0, invalid("no %q", name)
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, bits)
	if err != nil {
		return 0, invalid("%q is not a %d-bit integer: %s", name, bits, raw)
	}
	return n, nil
}

// appendJSONString appends s as a JSON string the way Jackson (and so Kafka
// Connect) writes it: '"' and '\' escaped with a backslash, \b \t \n \f \r
// by their short escapes, other control characters as \u00XX with upper-case
// hex digits, everything else (including non-ASCII, '/', '<', U+2028) as is.
// Invalid UTF-8 becomes U+FFFD, as a Java string read from those bytes would.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\f':
			b = append(b, '\\', 'f')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return append(b, '"')
}
