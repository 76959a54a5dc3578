package connectors

import (
	"fmt"
	"maps"
	"strconv"
)

// SchemaBuilder builds a [Schema] step by step, Kafka style:
//
//	var users = connectors.StructSchema().Name("ksql.users").
//		Field("registertime", connectors.Int64Schema).
//		Field("userid", connectors.StringSchema).
//		Field("regionid", connectors.StringSchema).
//		Field("gender", connectors.StringSchema).
//		MustBuild()
//
// Mistakes (a duplicate field, a field on a non-struct, an invalid default)
// are remembered and reported by Build; later calls are then ignored.
type SchemaBuilder struct {
	s   Schema
	err error
}

// NewSchemaBuilder starts a schema of type t.
func NewSchemaBuilder(t Type) *SchemaBuilder {
	b := &SchemaBuilder{s: Schema{Type: t}}
	if !t.Valid() {
		b.err = fmt.Errorf("invalid schema type %d", t)
	}
	return b
}

// StructSchema starts a struct schema; add fields with Field.
func StructSchema() *SchemaBuilder { return NewSchemaBuilder(TypeStruct) }

// ArraySchema starts an array schema of items.
func ArraySchema(items *Schema) *SchemaBuilder {
	b := NewSchemaBuilder(TypeArray)
	b.s.Items = items
	if items == nil {
		b.err = fmt.Errorf("array schema without an element schema")
	}
	return b
}

// MapSchema starts a map schema from keys to values.
func MapSchema(keys, values *Schema) *SchemaBuilder {
	b := NewSchemaBuilder(TypeMap)
	b.s.Keys, b.s.Values = keys, values
	if keys == nil || values == nil {
		b.err = fmt.Errorf("map schema without a key or value schema")
	}
	return b
}

// DecimalSchema starts a Decimal logical schema with the given scale.
func DecimalSchema(scale int32) *SchemaBuilder {
	return NewSchemaBuilder(TypeBytes).Name(DecimalName).Version(1).
		Param(DecimalScaleParam, strconv.Itoa(int(scale)))
}

// DateSchema starts a Date logical schema (int32 days).
func DateSchema() *SchemaBuilder { return NewSchemaBuilder(TypeInt32).Name(DateName).Version(1) }

// TimeSchema starts a Time logical schema (int32 milliseconds of the day).
func TimeSchema() *SchemaBuilder { return NewSchemaBuilder(TypeInt32).Name(TimeName).Version(1) }

// TimestampSchema starts a Timestamp logical schema (int64 epoch
// milliseconds).
func TimestampSchema() *SchemaBuilder {
	return NewSchemaBuilder(TypeInt64).Name(TimestampName).Version(1)
}

// Optional allows null values.
func (b *SchemaBuilder) Optional() *SchemaBuilder { b.s.Optional = true; return b }

// Required forbids null values (the default).
func (b *SchemaBuilder) Required() *SchemaBuilder { b.s.Optional = false; return b }

// Name sets the schema's name.
func (b *SchemaBuilder) Name(name string) *SchemaBuilder { b.s.Name = name; return b }

// Version sets the schema's version.
func (b *SchemaBuilder) Version(v int) *SchemaBuilder { b.s.Version = v; return b }

// Doc sets the schema's documentation.
func (b *SchemaBuilder) Doc(doc string) *SchemaBuilder { b.s.Doc = doc; return b }

// Param sets one parameter.
func (b *SchemaBuilder) Param(key, value string) *SchemaBuilder {
	if b.s.Parameters == nil {
		b.s.Parameters = make(map[string]string)
	}
	b.s.Parameters[key] = value
	return b
}

// Default sets the default value; Build checks it against the schema.
func (b *SchemaBuilder) Default(v any) *SchemaBuilder { b.s.Default = v; return b }

// Field appends a field to a struct schema.
func (b *SchemaBuilder) Field(name string, s *Schema) *SchemaBuilder {
	switch {
	case b.err != nil:
	case b.s.Type != TypeStruct:
		b.err = fmt.Errorf("cannot add field %q to a %s schema", name, b.s.Type)
	case name == "":
		b.err = fmt.Errorf("field name cannot be empty")
	case s == nil:
		b.err = fmt.Errorf("field %q has no schema", name)
	case b.s.FieldIndex(name) >= 0:
		b.err = fmt.Errorf("cannot create field because of field name duplication %s", name)
	default:
		b.s.Fields = append(b.s.Fields, Field{Name: name, Schema: s})
	}
	return b
}

// Build returns the schema, or the first mistake made while building it,
// wrapping ErrData.
func (b *SchemaBuilder) Build() (*Schema, error) {
	if b.err != nil {
		return nil, &DataError{Msg: "invalid schema: " + b.err.Error(), Err: b.err}
	}
	s := b.s
	s.Parameters = maps.Clone(b.s.Parameters)
	s.Fields = append([]Field(nil), b.s.Fields...)
	if len(s.Fields) == 0 {
		s.Fields = nil
	}
	if s.Default != nil {
		if err := s.Validate(s.Default); err != nil {
			return nil, &DataError{Msg: "invalid default value: " + err.Error(), Err: err}
		}
	}
	return &s, nil
}

// MustBuild is Build for schemas fixed at compile time; it panics on error.
func (b *SchemaBuilder) MustBuild() *Schema {
	s, err := b.Build()
	if err != nil {
		panic("connectors: " + err.Error())
	}
	return s
}
