package datagen

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// kind is the Connect type a generator produces.
type kind uint8

const (
	kindString kind = iota + 1
	kindInt32
	kindInt64
	kindFloat32
	kindFloat64
	kindBoolean
	kindBytes
	kindTimestamp
	kindStruct
	kindArray
	kindMap
)

var kindNames = [...]string{
	kindString: "string", kindInt32: "int32", kindInt64: "int64", kindFloat32: "float32",
	kindFloat64: "float64", kindBoolean: "boolean", kindBytes: "bytes", kindTimestamp: "timestamp",
	kindStruct: "struct", kindArray: "array", kindMap: "map",
}

func (k kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// integral reports whether values of k are whole numbers underneath (the
// Timestamp logical type is epoch milliseconds).
func (k kind) integral() bool { return k == kindInt32 || k == kindInt64 || k == kindTimestamp }

// typeSpec is the format-independent description of one generated value:
// its type and at most one generator. Both the native schema format and
// Avro schemas with arg.properties are parsed into it, and compile turns it
// into a Connect schema and a generator.
type typeSpec struct {
	kind     kind
	optional bool
	nullOdds float64 // probability of a null value; only when optional
	name     string  // struct schema name
	doc      string
	fields   []fieldSpec // struct fields
	items    *typeSpec   // array elements, map values
	keys     *typeSpec   // map keys (strings)

	// Generators; at most one is set. None means the type's default.
	options  []any // JSON values: string, json.Number, bool
	rng      *rangeSpec
	regex    *string
	iter     *iterSpec
	template *string // gofakeit template
	now      bool

	// Modifiers of the default generators.
	length *[2]int  // inclusive length bounds of strings, bytes, arrays, maps
	odds   *float64 // probability of true for booleans
}

type fieldSpec struct {
	name string
	spec *typeSpec
}

// rangeSpec bounds random numbers. For integer kinds max is exclusive unless
// inclusive is set; floating-point ranges are always [min, max).
type rangeSpec struct {
	min, max  *json.Number
	inclusive bool
}

// iterSpec describes a counter: start + step × n for the n-th record of a
// task, wrapping back to start before reaching restart when restart is set.
type iterSpec struct {
	start, step, restart *json.Number
}

// generators counts the generators set on t.
func (t *typeSpec) generators() int {
	n := 0
	for _, set := range []bool{t.options != nil, t.rng != nil, t.regex != nil, t.iter != nil, t.template != nil, t.now} {
		if set {
			n++
		}
	}
	return n
}

// schemaError wraps ErrInvalidSchema with the path of the offending field.
func schemaError(path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = "field " + strconv.Quote(path) + ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrInvalidSchema, msg)
}

// joinPath extends a field path.
func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}
