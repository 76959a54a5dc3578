package transforms

import (
	"fmt"
	"strings"

	"conflux/configs"
	"conflux/connectors"
)

// keyFieldSyntax is Kafka's field.syntax.version (KIP-821): V1 takes a
// field name as it is; V2 reads dots as steps into nested structs and maps,
// with backticks around a name that holds dots (`a.b`) and a doubled
// backtick for a backtick inside one.
var keyFieldSyntax = configs.Key{
	Name: "field.syntax.version", Type: configs.TypeString, Default: "V1", Importance: configs.High,
	Validator:     configs.ValidStringIgnoreCase("V1", "V2"),
	Documentation: "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to access the elements at the root level of the struct or map. If set to `V2`, the syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots are already included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. to access the subfield `baz` from a field named \"foo.bar\" in a struct/map the following format can be used to access its elements: \"`foo.bar`.baz\".",
}

// fieldPath is a parsed field reference: the names to follow from the
// root.
type fieldPath []string

// parseFieldPath parses a field reference in the given syntax version.
func parseFieldPath(s, version string) (fieldPath, error) {
	if !strings.EqualFold(version, "V2") {
		return fieldPath{s}, nil
	}
	var path fieldPath
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '`' && quoted && i+1 < len(s) && s[i+1] == '`':
			cur.WriteByte('`')
			i++
		case c == '`' && quoted:
			quoted = false
		case c == '`' && cur.Len() == 0:
			quoted = true
		case c == '.' && !quoted:
			path = append(path, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if quoted {
		return nil, fmt.Errorf("incomplete backtick pair in field path %s", s)
	}
	return append(path, cur.String()), nil
}

// String returns the path with dots, for messages.
func (p fieldPath) String() string { return strings.Join(p, ".") }

// schema returns the schema the path leads to in a struct schema, or nil
// when a step names no field.
func (p fieldPath) schema(s *connectors.Schema) *connectors.Schema {
	for _, name := range p {
		if s == nil || s.Type != connectors.TypeStruct {
			return nil
		}
		f := s.Field(name)
		if f == nil {
			return nil
		}
		s = f.Schema
	}
	return s
}

// structValue returns the value the path leads to in a struct; nil when a
// step is null.
func (p fieldPath) structValue(st *connectors.Struct, replaceNull bool) any {
	var v any = st
	for _, name := range p {
		cur, ok := v.(*connectors.Struct)
		if !ok {
			return nil
		}
		i := cur.Schema().FieldIndex(name)
		if i < 0 {
			return nil
		}
		v = fieldValue(cur, i, replaceNull)
	}
	return v
}

// mapValue returns the value the path leads to in a schemaless map; nil
// when a step is missing.
func (p fieldPath) mapValue(m map[string]any) any {
	var v any = m
	for _, name := range p {
		cur, ok := asMap(v)
		if !ok {
			return nil
		}
		v = cur[name]
	}
	return v
}
