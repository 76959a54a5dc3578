package transforms

import (
	"conflux/configs"
	"conflux/connectors"
)

var flattenDef = configs.NewDef(configs.Key{
	Name: "delimiter", Type: configs.TypeString, Default: ".", Importance: configs.Medium,
	Documentation: "Delimiter to insert between field names from the input record when generating field names for the output record",
})

func init() {
	registerSided("Flatten", "Flattens nested Structs or maps into one level, joining field names with a delimiter.", flattenDef,
		func(s side) connectors.Transformation { return &Flatten{side: s} })
}

// Flatten turns nested Structs (with a schema) or maps (without) into one
// level, naming each leaf by its path joined with the delimiter (Kafka's
// Flatten). Arrays are left as they are. A field under an optional Struct
// becomes optional, since the whole Struct may be null.
type Flatten struct {
	nothingToClose
	side      side
	delimiter string
	schemas   schemaCache
}

// Configure reads delimiter.
func (t *Flatten) Configure(config map[string]string) error {
	v, err := flattenDef.Parse(config)
	if err != nil {
		return err
	}
	t.delimiter = v.String("delimiter")
	return nil
}

// Apply flattens the key or value.
func (t *Flatten) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if schema == nil {
		if value == nil {
			return rec, nil
		}
		m, ok := asMap(value)
		if !ok {
			return nil, errNeedMap("flattening", value)
		}
		out := make(map[string]any, len(m))
		t.flattenMap("", m, out)
		return t.side.with(rec, nil, out), nil
	}
	if schema.Type != connectors.TypeStruct {
		return nil, errNeedStruct("flattening", value)
	}
	outSchema, err := t.schemas.get(schema, func(in *connectors.Schema) (*connectors.Schema, error) {
		out := in.Copy()
		out.Fields = nil
		out.Default = nil
		t.flattenSchema("", in, false, out)
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	if value == nil {
		return t.side.with(rec, outSchema, nil), nil
	}
	st, ok := value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("flattening", value)
	}
	out := connectors.NewStruct(outSchema)
	n := 0
	t.flattenStruct(schema, st, out, &n)
	return t.side.with(rec, outSchema, out), nil
}

func (t *Flatten) name(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + t.delimiter + field
}

func (t *Flatten) flattenMap(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		if nested, ok := asMap(v); ok {
			t.flattenMap(t.name(prefix, k), nested, out)
			continue
		}
		out[t.name(prefix, k)] = v
	}
}

// flattenSchema appends the leaves of in to out; optional says whether an
// enclosing Struct is optional.
func (t *Flatten) flattenSchema(prefix string, in *connectors.Schema, optionalParent bool, out *connectors.Schema) {
	for _, f := range in.Fields {
		name := t.name(prefix, f.Name)
		if f.Schema.Type == connectors.TypeStruct {
			t.flattenSchema(name, f.Schema, optionalParent || f.Schema.Optional, out)
			continue
		}
		fs := f.Schema
		if optionalParent {
			fs = optional(fs)
		}
		out.Fields = append(out.Fields, connectors.Field{Name: name, Schema: fs})
	}
}

// flattenStruct fills out's fields from n on in the order flattenSchema
// made them; a null nested Struct leaves its leaves null.
func (t *Flatten) flattenStruct(schema *connectors.Schema, st *connectors.Struct, out *connectors.Struct, n *int) {
	for i, f := range schema.Fields {
		var v any
		if st != nil {
			v = st.At(i)
		}
		if f.Schema.Type == connectors.TypeStruct {
			nested, _ := v.(*connectors.Struct)
			t.flattenStruct(f.Schema, nested, out, n)
			continue
		}
		out.SetAt(*n, v)
		*n++
	}
}
