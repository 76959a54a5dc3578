package offsets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"conflux/internal/jsonvalue"
)

// PartitionKey identifies a source partition within a connector: the compact
// JSON of the partition map with its object keys sorted. Two maps that Kafka
// Connect would consider equal have the same key, whatever order their JSON
// was written in.
type PartitionKey string

// KeyOf returns the lookup key of a source partition.
func KeyOf(partition map[string]any) (PartitionKey, error) {
	if len(partition) == 0 {
		return "", fmt.Errorf("%w: empty partition", ErrInvalidPartition)
	}
	if b, ok := appendScalarObject(nil, partition); ok {
		return PartitionKey(b), nil
	}
	// A round trip through JSON gives caller-built maps (int, []string …)
	// the types of maps read back from the topic (int64, []any …).
	norm, err := roundTrip(partition)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidPartition, err)
	}
	b, err := compactJSON(norm)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidPartition, err)
	}
	return PartitionKey(b), nil
}

// EncodeKey returns the offsets-topic record key of a connector's source
// partition: the compact JSON array ["<connector>",{<partition>}], object
// keys sorted, no HTML escaping (as Jackson writes it).
func EncodeKey(connector string, partition map[string]any) ([]byte, error) {
	if connector == "" {
		return nil, fmt.Errorf("%w: empty connector name", ErrInvalidPartition)
	}
	if len(partition) == 0 {
		return nil, fmt.Errorf("%w: empty partition", ErrInvalidPartition)
	}
	b, err := compactJSON([]any{connector, partition})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPartition, err)
	}
	return b, nil
}

// EncodeValue returns the record value of a source offset: its compact JSON
// object, or nil (a tombstone) for a nil offset.
func EncodeValue(offset map[string]any) ([]byte, error) {
	if offset == nil {
		return nil, nil
	}
	if b, ok := appendScalarObject(nil, offset); ok {
		return b, nil
	}
	b, err := compactJSON(offset)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOffset, err)
	}
	return b, nil
}

// errNotOffsetKey marks keys that are not ["<connector>",{…}]; readers skip
// such records, as Kafka Connect does.
var errNotOffsetKey = errors.New("not an offsets key: want [\"<connector>\",{<partition>}]")

// DecodeKey parses an offsets-topic record key. It fails for anything but a
// JSON array of exactly a string and an object.
func DecodeKey(key []byte) (connector string, partition map[string]any, err error) {
	v, err := decodeJSON(key)
	if err != nil {
		return "", nil, err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		return "", nil, errNotOffsetKey
	}
	connector, ok = arr[0].(string)
	if !ok {
		return "", nil, errNotOffsetKey
	}
	partition, ok = arr[1].(map[string]any)
	if !ok {
		return "", nil, errNotOffsetKey
	}
	return connector, partition, nil
}

// DecodeValue parses an offsets-topic record value; nil (a tombstone) gives a
// nil map. Anything but a JSON object or null fails.
func DecodeValue(value []byte) (map[string]any, error) {
	if value == nil {
		return nil, nil
	}
	v, err := decodeJSON(value)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("offset is a JSON %T, want an object", v)
	}
	return m, nil
}

// compactJSON marshals v without a trailing newline and without escaping
// <, > and &, which Jackson leaves alone. Map keys come out sorted, and
// integral floating-point numbers keep a fraction (1.0), as Jackson writes a
// Double, so that they read back as float64 rather than int64.
func compactJSON(v any) ([]byte, error) {
	return jsonvalue.Marshal(withFloats(v))
}

// withFloats returns v with every float64 and float32 inside maps and
// slices of any replaced by its JSON text, integral values with ".0".
func withFloats(v any) any {
	switch x := v.(type) {
	case float64:
		return floatNumber(x, 64)
	case float32:
		return floatNumber(float64(x), 32)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = withFloats(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withFloats(e)
		}
		return out
	}
	return v
}

// floatNumber formats f like encoding/json does, adding ".0" to integral
// values written without an exponent. NaN and infinities stay float64 so
// that marshalling rejects them.
func floatNumber(f float64, bits int) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	b, err := json.Marshal(f)
	if bits == 32 {
		b, err = json.Marshal(float32(f))
	}
	if err != nil {
		return f
	}
	if !bytes.ContainsAny(b, ".eE") {
		b = append(b, ".0"...)
	}
	return json.Number(b)
}

// decodeJSON parses exactly one JSON value, numbers as int64 when integral
// and float64 otherwise.
func decodeJSON(b []byte) (any, error) { return jsonvalue.Unmarshal(b) }

// roundTrip returns v as it would read back from JSON.
func roundTrip(v map[string]any) (map[string]any, error) {
	b, err := compactJSON(v)
	if err != nil {
		return nil, err
	}
	out, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	m, _ := out.(map[string]any)
	return m, nil
}
