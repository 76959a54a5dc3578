package transforms

import (
	"slices"

	"conflux/configs"
	"conflux/connectors"
)

var headerFromDef = configs.NewDef(
	configs.Key{Name: "fields", Type: configs.TypeList, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.NonEmptyList(), Documentation: "Field names in the record whose values are to be copied or moved to headers."},
	configs.Key{Name: "headers", Type: configs.TypeList, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.NonEmptyList(), Documentation: "Header names, in the same order as the field names listed in the fields configuration property."},
	configs.Key{Name: "operation", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.ValidString("move", "copy"), Documentation: "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value)."},
	keyReplaceNull,
).Check(func(v *configs.Values) []*configs.Error {
	if len(v.List("fields")) != len(v.List("headers")) {
		return []*configs.Error{configs.Conflict("headers", "'fields' config must have the same number of elements as 'headers' config.")}
	}
	return nil
})

func init() {
	registerSided("HeaderFrom", "Copies or moves fields into headers.", headerFromDef,
		func(s side) connectors.Transformation { return &HeaderFrom{side: s} })
}

// HeaderFrom copies or moves fields into headers (Kafka's HeaderFrom); the
// n-th field becomes the n-th header, with the field's schema.
type HeaderFrom struct {
	nothingToClose
	side            side
	fields, headers []string
	move            bool
	replaceNull     bool
	schemas         schemaCache
}

// Configure reads fields, headers and operation.
func (t *HeaderFrom) Configure(config map[string]string) error {
	v, err := headerFromDef.Parse(config)
	if err != nil {
		return err
	}
	t.fields, t.headers = v.List("fields"), v.List("headers")
	t.move = v.String("operation") == "move"
	t.replaceNull = v.Bool("replace.null.with.default")
	return nil
}

// Apply adds the headers and, for move, removes the fields.
func (t *HeaderFrom) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if value == nil {
		return rec, nil
	}
	if schema == nil {
		m, ok := asMap(value)
		if !ok {
			return nil, errNeedMap("header from", value)
		}
		out := rec.Copy()
		for i, f := range t.fields {
			out.Headers.Add(t.headers[i], m[f], nil)
		}
		if !t.move {
			return out, nil
		}
		moved := make(map[string]any, len(m))
		for k, x := range m {
			if !slices.Contains(t.fields, k) {
				moved[k] = x
			}
		}
		return t.side.with(out, nil, moved), nil
	}
	st, ok := value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("header from", value)
	}
	out := rec.Copy()
	for i, f := range t.fields {
		j := schema.FieldIndex(f)
		if j < 0 {
			return nil, connectors.DataErrorf("Field %s not found in %s schema", f, t.side)
		}
		out.Headers.Add(t.headers[i], fieldValue(st, j, t.replaceNull), schema.Fields[j].Schema)
	}
	if !t.move {
		return out, nil
	}
	outSchema, err := t.schemas.get(schema, func(in *connectors.Schema) (*connectors.Schema, error) {
		s := in.Copy()
		s.Default = nil
		s.Fields = slices.DeleteFunc(s.Fields, func(f connectors.Field) bool { return slices.Contains(t.fields, f.Name) })
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	moved := connectors.NewStruct(outSchema)
	n := 0
	for i, f := range schema.Fields {
		if !slices.Contains(t.fields, f.Name) {
			moved.SetAt(n, fieldValue(st, i, t.replaceNull))
			n++
		}
	}
	return t.side.with(out, outSchema, moved), nil
}
