package transforms

import (
	"conflux/configs"
	"conflux/connectors"
)

var extractFieldDef = configs.NewDef(
	configs.Key{Name: "field", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.Medium,
		Documentation: "Field name to extract."},
	keyFieldSyntax,
	keyReplaceNull,
)

func init() {
	registerSided("ExtractField", "Replaces the key or value with one of its fields.", extractFieldDef,
		func(s side) connectors.Transformation { return &ExtractField{side: s} })
}

// ExtractField replaces a Struct or map with one of its fields (Kafka's
// ExtractField); a null passes unchanged.
type ExtractField struct {
	nothingToClose
	side        side
	path        fieldPath
	replaceNull bool
}

// Configure reads field and field.syntax.version.
func (t *ExtractField) Configure(config map[string]string) error {
	v, err := extractFieldDef.Parse(config)
	if err != nil {
		return err
	}
	if t.path, err = parseFieldPath(v.String("field"), v.String("field.syntax.version")); err != nil {
		return configs.Invalid("field", v.String("field"), err.Error())
	}
	t.replaceNull = v.Bool("replace.null.with.default")
	return nil
}

// Apply extracts the field. A schemaless map without it gives null; a
// schema without it is an error, as in Kafka.
func (t *ExtractField) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if schema == nil {
		if value == nil {
			return rec, nil
		}
		m, ok := asMap(value)
		if !ok {
			return nil, errNeedMap("field extraction", value)
		}
		return t.side.with(rec, nil, t.path.mapValue(m)), nil
	}
	fs := t.path.schema(schema)
	if fs == nil {
		return nil, connectors.DataErrorf("Unknown field: %s", t.path)
	}
	if value == nil {
		return t.side.with(rec, fs, nil), nil
	}
	st, ok := value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("field extraction", value)
	}
	return t.side.with(rec, fs, t.path.structValue(st, t.replaceNull)), nil
}
