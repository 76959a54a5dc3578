package transforms

import (
	"conflux/connectors"
)

// side is the part of a record a $Key or $Value transform works on.
type side bool

const (
	keySide   side = true
	valueSide side = false
)

// String returns "key" or "value".
func (s side) String() string {
	if s == keySide {
		return "key"
	}
	return "value"
}

// variant returns Kafka's class suffix: Key or Value.
func (s side) variant() string {
	if s == keySide {
		return "Key"
	}
	return "Value"
}

// get returns the schema and value of the side of rec.
func (s side) get(rec *connectors.Record) (*connectors.Schema, any) {
	if s == keySide {
		return rec.KeySchema, rec.Key
	}
	return rec.ValueSchema, rec.Value
}

// with returns a copy of rec with the side replaced.
func (s side) with(rec *connectors.Record, schema *connectors.Schema, v any) *connectors.Record {
	out := rec.Copy()
	if s == keySide {
		out.KeySchema, out.Key = schema, v
	} else {
		out.ValueSchema, out.Value = schema, v
	}
	return out
}

// asMap returns a schemaless value as a map with string keys. Maps with
// other key types are copied with their keys formatted as strings, as JSON
// would have them.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, x := range m {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			out[ks] = x
		}
		return out, true
	}
	return nil, false
}

// fieldValue reads the i-th field of st, with the field's default in place
// of null when replaceNull is set (Kafka's replace.null.with.default).
func fieldValue(st *connectors.Struct, i int, replaceNull bool) any {
	v := st.At(i)
	if v == nil && replaceNull {
		return st.Schema().Fields[i].Schema.Default
	}
	return v
}

// schemaCache remembers the output schema a transform derived from an
// input schema. Schemas are compared by pointer: records from one source
// share their schema pointer, so a stream costs one derivation. The cache
// is bounded: a source that makes a new schema per record must not grow it
// without end. A transform instance is used by one task goroutine, so the
// cache needs no lock.
type schemaCache map[*connectors.Schema]*connectors.Schema

// maxCachedSchemas bounds a schemaCache.
const maxCachedSchemas = 64

// get returns the cached output for in, building it with build on a miss.
func (c *schemaCache) get(in *connectors.Schema, build func(*connectors.Schema) (*connectors.Schema, error)) (*connectors.Schema, error) {
	if out, ok := (*c)[in]; ok {
		return out, nil
	}
	out, err := build(in)
	if err != nil {
		return nil, err
	}
	if *c == nil || len(*c) >= maxCachedSchemas {
		*c = make(schemaCache)
	}
	(*c)[in] = out
	return out, nil
}

// optional returns a copy of s that allows null, or s itself when it
// already does.
func optional(s *connectors.Schema) *connectors.Schema {
	if s == nil || s.Optional {
		return s
	}
	c := s.Copy()
	c.Optional = true
	return c
}
