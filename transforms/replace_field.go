package transforms

import (
	"slices"
	"strings"

	"conflux/configs"
	"conflux/connectors"
)

var replaceFieldDef = configs.NewDef(
	configs.Key{Name: "exclude", Type: configs.TypeList, Default: "", Importance: configs.Medium,
		Documentation: "Fields to exclude. This takes precedence over the fields to include."},
	configs.Key{Name: "include", Type: configs.TypeList, Default: "", Importance: configs.Medium,
		Documentation: "Fields to include. If specified, only these fields will be used."},
	configs.Key{Name: "renames", Type: configs.TypeList, Default: "", Importance: configs.Medium,
		Validator: configs.ValidatorFunc(func(name string, v any) error {
			_, err := parseRenames(v.([]string))
			return err
		}),
		Documentation: "Field rename mappings."},
	configs.Key{Name: "blacklist", Type: configs.TypeList, Default: nil, Importance: configs.Low,
		Documentation: "Deprecated. Use exclude instead."},
	configs.Key{Name: "whitelist", Type: configs.TypeList, Default: nil, Importance: configs.Low,
		Documentation: "Deprecated. Use include instead."},
	keyReplaceNull,
)

func init() {
	registerSided("ReplaceField", "Keeps, drops or renames fields.", replaceFieldDef,
		func(s side) connectors.Transformation { return &ReplaceField{side: s} })
}

// parseRenames reads old:new pairs.
func parseRenames(list []string) (map[string]string, error) {
	out := make(map[string]string, len(list))
	for _, pair := range list {
		from, to, ok := strings.Cut(pair, ":")
		if !ok || from == "" || to == "" || strings.Contains(to, ":") {
			return nil, configs.Invalid("renames", list, "Invalid rename mapping: "+pair)
		}
		out[from] = to
	}
	return out, nil
}

// ReplaceField filters and renames fields (Kafka's ReplaceField): excluded
// fields go, a non-empty include list keeps only its fields, and renames
// apply to what stays. Exclusion wins over inclusion.
type ReplaceField struct {
	nothingToClose
	side             side
	exclude, include []string
	renames          map[string]string
	replaceNull      bool
	schemas          schemaCache
}

// Configure reads exclude, include and renames (and the deprecated
// blacklist and whitelist, when the new names are not set).
func (t *ReplaceField) Configure(config map[string]string) error {
	v, err := replaceFieldDef.Parse(config)
	if err != nil {
		return err
	}
	t.exclude, t.include = v.List("exclude"), v.List("include")
	if !v.IsSet("exclude") && v.IsSet("blacklist") {
		t.exclude = v.List("blacklist")
	}
	if !v.IsSet("include") && v.IsSet("whitelist") {
		t.include = v.List("whitelist")
	}
	t.renames, _ = parseRenames(v.List("renames"))
	t.replaceNull = v.Bool("replace.null.with.default")
	return nil
}

// keeps reports whether a field stays.
func (t *ReplaceField) keeps(name string) bool {
	return !slices.Contains(t.exclude, name) && (len(t.include) == 0 || slices.Contains(t.include, name))
}

// renamed returns a kept field's new name.
func (t *ReplaceField) renamed(name string) string {
	if to, ok := t.renames[name]; ok {
		return to
	}
	return name
}

// Apply rewrites the fields.
func (t *ReplaceField) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if value == nil {
		return rec, nil
	}
	if schema == nil {
		m, ok := asMap(value)
		if !ok {
			return nil, errNeedMap("field replacement", value)
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			if t.keeps(k) {
				out[t.renamed(k)] = x
			}
		}
		return t.side.with(rec, nil, out), nil
	}
	st, ok := value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("field replacement", value)
	}
	outSchema, err := t.schemas.get(schema, func(in *connectors.Schema) (*connectors.Schema, error) {
		out := in.Copy()
		out.Fields = out.Fields[:0]
		out.Default = nil
		for _, f := range in.Fields {
			if t.keeps(f.Name) {
				out.Fields = append(out.Fields, connectors.Field{Name: t.renamed(f.Name), Schema: f.Schema})
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	out := connectors.NewStruct(outSchema)
	n := 0
	for i, f := range schema.Fields {
		if t.keeps(f.Name) {
			out.SetAt(n, fieldValue(st, i, t.replaceNull))
			n++
		}
	}
	return t.side.with(rec, outSchema, out), nil
}
