package connectors

import (
	"fmt"
	"strings"
)

// Struct is a structured value: a struct [Schema] and one value per field,
// in field order (Kafka's Struct). Create it with [NewStruct] and fill it
// with Put. A Struct is not safe for concurrent modification; treat it as
// immutable once it is part of a record, and use Copy to derive a modified
// one.
type Struct struct {
	schema *Schema
	values []any
}

// NewStruct returns a Struct of schema with every field null. It panics if
// schema is nil or not a struct schema.
func NewStruct(schema *Schema) *Struct {
	checkStructSchema(schema)
	return &Struct{schema: schema, values: make([]any, len(schema.Fields))}
}

// checkStructSchema panics unless schema is a struct schema.
func checkStructSchema(schema *Schema) {
	if schema == nil || schema.Type != TypeStruct {
		panic(fmt.Sprintf("connectors: a Struct needs a struct schema, not %v", schema))
	}
}

// Schema returns the struct's schema.
func (s *Struct) Schema() *Schema { return s.schema }

// Put sets the named field and returns s for chaining. The value is not
// checked here; [Struct.Validate] does that. It panics if the schema has no
// such field, which is a programming error.
func (s *Struct) Put(name string, value any) *Struct {
	i := s.schema.FieldIndex(name)
	if i < 0 {
		panic(fmt.Sprintf("connectors: Struct.Put: %s is not a valid field name", name))
	}
	s.values[i] = value
	return s
}

// Get returns the named field's value, or the field schema's default when
// the value is null (as Kafka's Struct.get does). It returns nil when the
// schema has no such field; use Schema().Field to tell.
func (s *Struct) Get(name string) any {
	i := s.schema.FieldIndex(name)
	if i < 0 {
		return nil
	}
	if v := s.values[i]; v != nil {
		return v
	}
	return s.schema.Fields[i].Schema.Default
}

// At returns the value of the i-th field as stored, without applying its
// default. It panics if i is out of range.
func (s *Struct) At(i int) any { return s.values[i] }

// SetAt sets the value of the i-th field. It panics if i is out of range.
func (s *Struct) SetAt(i int, value any) { s.values[i] = value }

// Validate checks every field's value against its schema: a required field
// without default must not be null, and every value must have the Go type
// of its schema. Errors are [*DataError]s.
func (s *Struct) Validate() error {
	for i, f := range s.schema.Fields {
		v := s.values[i]
		if v == nil && (f.Schema.Optional || f.Schema.Default != nil) {
			continue
		}
		if err := validateValue(f.Name, f.Schema, v); err != nil {
			return err
		}
	}
	return nil
}

// Copy returns a shallow copy of s with the same schema: the field values
// are shared, the slice holding them is not.
func (s *Struct) Copy() *Struct {
	return &Struct{schema: s.schema, values: append([]any(nil), s.values...)}
}

// Equal reports whether o has an equal schema and equal field values.
func (s *Struct) Equal(o *Struct) bool {
	if s == o {
		return true
	}
	if s == nil || o == nil || !s.schema.Equal(o.schema) || len(s.values) != len(o.values) {
		return false
	}
	for i := range s.values {
		if !ValuesEqual(s.values[i], o.values[i]) {
			return false
		}
	}
	return true
}

// String formats the struct as Kafka does, leaving out null fields:
// "Struct{id=1,name=x}".
func (s *Struct) String() string {
	var b strings.Builder
	b.WriteString("Struct{")
	first := true
	for i, f := range s.schema.Fields {
		if s.values[i] == nil {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%s=%v", f.Name, s.values[i])
	}
	b.WriteByte('}')
	return b.String()
}
