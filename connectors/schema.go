package connectors

import (
	"maps"
	"strings"
)

// Type is the type of a Connect schema (Kafka's Schema.Type). Its String
// form is Kafka's upper-case enum name (INT32, STRUCT …), the one error
// messages use; [Type.Name] is the lower-case name.
type Type uint8

// Schema types, and the Go type of their values:
//
//	TypeInt8     int8
//	TypeInt16    int16
//	TypeInt32    int32   (time.Time for the Date and Time logical types)
//	TypeInt64    int64   (time.Time for the Timestamp logical type)
//	TypeFloat32  float32
//	TypeFloat64  float64
//	TypeBoolean  bool
//	TypeString   string
//	TypeBytes    []byte  (Decimal for the Decimal logical type)
//	TypeArray    []any
//	TypeMap      map[string]any or map[any]any when the key schema is a string, else map[any]any
//	TypeStruct   *Struct
//
// A null value is nil. Values of logical types always have the logical Go
// type, never the stored one. Schemaless values (a nil schema) may be any of
// these Go types.
const (
	TypeInt8 Type = iota + 1
	TypeInt16
	TypeInt32
	TypeInt64
	TypeFloat32
	TypeFloat64
	TypeBoolean
	TypeString
	TypeBytes
	TypeArray
	TypeMap
	TypeStruct
)

var typeNames = [...]string{
	TypeInt8: "int8", TypeInt16: "int16", TypeInt32: "int32", TypeInt64: "int64",
	TypeFloat32: "float32", TypeFloat64: "float64", TypeBoolean: "boolean", TypeString: "string",
	TypeBytes: "bytes", TypeArray: "array", TypeMap: "map", TypeStruct: "struct",
}

// Name returns Kafka's lower-case name of the type ("int32", "struct"), or
// "unknown".
func (t Type) Name() string {
	if t.Valid() {
		return typeNames[t]
	}
	return "unknown"
}

// String returns Kafka's upper-case enum name of the type ("INT32").
func (t Type) String() string { return strings.ToUpper(t.Name()) }

// Valid reports whether t is one of the defined types.
func (t Type) Valid() bool { return t >= TypeInt8 && t <= TypeStruct }

// Primitive reports whether t is neither array, map nor struct.
func (t Type) Primitive() bool { return t >= TypeInt8 && t <= TypeBytes }

// ParseType returns the type with Kafka's lower-case name s.
func ParseType(s string) (Type, bool) {
	for t := TypeInt8; t <= TypeStruct; t++ {
		if typeNames[t] == s {
			return t, true
		}
	}
	return 0, false
}

// Schema describes the structure of a key, value, header value or field
// (Kafka's Schema). Build one with [SchemaBuilder] or use the predefined
// schemas such as [StringSchema]; a struct literal works too.
//
// A Schema must not be modified once it is in use: records share schemas,
// and converters cache per *Schema what they derive from one. To change a
// schema (as transforms do), copy it and modify the copy.
type Schema struct {
	// Type is the schema's type.
	Type Type
	// Optional allows null values.
	Optional bool
	// Default is used in place of a null value where Kafka Connect does (a
	// struct field read with Struct.Get, a converter with
	// replace.null.with.default). nil means no default.
	Default any
	// Name is the schema's fully qualified name; "" for none. Logical
	// types are identified by name (see DecimalName and friends).
	Name string
	// Version is the schema's version; 0 means none.
	Version int
	// Doc documents the schema; "" for none.
	Doc string
	// Parameters holds extra string properties, such as a Decimal's scale.
	Parameters map[string]string
	// Fields lists a struct's fields in order.
	Fields []Field
	// Items is the element schema of an array.
	Items *Schema
	// Keys and Values are the key and value schemas of a map.
	Keys, Values *Schema
}

// Field is one field of a struct schema.
type Field struct {
	// Name is the field's name, unique within its struct.
	Name string
	// Schema is the field's schema.
	Schema *Schema
}

// FieldIndex returns the position of the named field in a struct schema, or
// -1 if there is no such field.
func (s *Schema) FieldIndex(name string) int {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// Field returns the named field of a struct schema, or nil.
func (s *Schema) Field(name string) *Field {
	if i := s.FieldIndex(name); i >= 0 {
		return &s.Fields[i]
	}
	return nil
}

// String describes the schema as Kafka does: "Schema{INT32}" or
// "Schema{com.example.User:STRUCT}".
func (s *Schema) String() string {
	if s == nil {
		return "Schema{null}"
	}
	if s.Name != "" {
		return "Schema{" + s.Name + ":" + s.Type.String() + "}"
	}
	return "Schema{" + s.Type.String() + "}"
}

// Equal reports whether two schemas are the same in every property, fields
// and nested schemas included (Kafka's ConnectSchema.equals). Two nil
// schemas are equal.
func (s *Schema) Equal(o *Schema) bool {
	if s == o {
		return true
	}
	if s == nil || o == nil {
		return false
	}
	if s.Type != o.Type || s.Optional != o.Optional || s.Name != o.Name || s.Version != o.Version ||
		s.Doc != o.Doc || len(s.Fields) != len(o.Fields) || !maps.Equal(s.Parameters, o.Parameters) {
		return false
	}
	if !s.Items.Equal(o.Items) || !s.Keys.Equal(o.Keys) || !s.Values.Equal(o.Values) {
		return false
	}
	for i := range s.Fields {
		if s.Fields[i].Name != o.Fields[i].Name || !s.Fields[i].Schema.Equal(o.Fields[i].Schema) {
			return false
		}
	}
	return defaultsEqual(s, o)
}

// defaultsEqual compares the defaults of two schemas. A struct schema's
// default is a Struct of that very schema, so comparing it with Struct.Equal
// would compare the schemas again without end; compare its fields instead.
func defaultsEqual(s, o *Schema) bool {
	ds, ok1 := s.Default.(*Struct)
	do, ok2 := o.Default.(*Struct)
	if ok1 && ok2 && ds.schema == s && do.schema == o {
		if len(ds.values) != len(do.values) {
			return false
		}
		for i := range ds.values {
			if !ValuesEqual(ds.values[i], do.values[i]) {
				return false
			}
		}
		return true
	}
	return ValuesEqual(s.Default, o.Default)
}

// Copy returns a shallow copy of s whose Parameters and Fields may be
// modified without affecting s; nested schemas are shared.
func (s *Schema) Copy() *Schema {
	c := *s
	c.Parameters = maps.Clone(s.Parameters)
	if s.Fields != nil {
		c.Fields = append([]Field(nil), s.Fields...)
	}
	return &c
}

// Predefined schemas of the primitive types, required and optional (Kafka's
// Schema.INT32_SCHEMA and friends). They are shared: never modify them.
var (
	Int8Schema    = &Schema{Type: TypeInt8}
	Int16Schema   = &Schema{Type: TypeInt16}
	Int32Schema   = &Schema{Type: TypeInt32}
	Int64Schema   = &Schema{Type: TypeInt64}
	Float32Schema = &Schema{Type: TypeFloat32}
	Float64Schema = &Schema{Type: TypeFloat64}
	BooleanSchema = &Schema{Type: TypeBoolean}
	StringSchema  = &Schema{Type: TypeString}
	BytesSchema   = &Schema{Type: TypeBytes}

	OptionalInt8Schema    = &Schema{Type: TypeInt8, Optional: true}
	OptionalInt16Schema   = &Schema{Type: TypeInt16, Optional: true}
	OptionalInt32Schema   = &Schema{Type: TypeInt32, Optional: true}
	OptionalInt64Schema   = &Schema{Type: TypeInt64, Optional: true}
	OptionalFloat32Schema = &Schema{Type: TypeFloat32, Optional: true}
	OptionalFloat64Schema = &Schema{Type: TypeFloat64, Optional: true}
	OptionalBooleanSchema = &Schema{Type: TypeBoolean, Optional: true}
	OptionalStringSchema  = &Schema{Type: TypeString, Optional: true}
	OptionalBytesSchema   = &Schema{Type: TypeBytes, Optional: true}
)
