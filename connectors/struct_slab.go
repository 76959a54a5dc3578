package connectors

import "conflux/internal/slab"

// StructSlab makes Structs as NewStruct does, carving them and their
// values from arrays allocated many at a time, for sources that build
// several Structs per record (a change event's row, key and envelope). An
// array stays in memory while any Struct carved from it does. The zero
// value is ready to use; a StructSlab is not safe for concurrent use.
type StructSlab struct {
	structs slab.Slab[Struct]
	values  slab.Slab[any]
}

// New returns a Struct of schema with every field null. It panics if
// schema is nil or not a struct schema.
func (s *StructSlab) New(schema *Schema) *Struct {
	checkStructSchema(schema)
	st := s.structs.One()
	st.schema = schema
	st.values = s.values.Slice(len(schema.Fields))[:len(schema.Fields)]
	return st
}
