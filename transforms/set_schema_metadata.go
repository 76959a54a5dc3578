package transforms

import (
	"conflux/configs"
	"conflux/connectors"
)

var setSchemaMetadataDef = configs.NewDef(
	configs.Key{Name: "schema.name", Type: configs.TypeString, Default: nil, Importance: configs.High,
		Documentation: "Schema name to set."},
	configs.Key{Name: "schema.version", Type: configs.TypeInt, Default: nil, Importance: configs.High,
		Documentation: "Schema version to set."},
	keyReplaceNull,
).Check(func(v *configs.Values) []*configs.Error {
	if v.Get("schema.name") == nil && v.Get("schema.version") == nil {
		return []*configs.Error{configs.Conflict("schema.name", "Neither schema name nor version configured")}
	}
	return nil
})

func init() {
	registerSided("SetSchemaMetadata", "Sets the name and/or version of the key or value schema.", setSchemaMetadataDef,
		func(s side) connectors.Transformation { return &SetSchemaMetadata{side: s} })
}

// SetSchemaMetadata renames or re-versions the key or value schema (Kafka's
// SetSchemaMetadata). A Struct value is rebuilt on the new schema so that
// value and schema agree.
type SetSchemaMetadata struct {
	nothingToClose
	side    side
	name    *string
	version *int
	// replaceNull fills null fields with their defaults when a Struct
	// moves to the new schema.
	replaceNull bool
	schemas     schemaCache
}

// Configure reads schema.name and schema.version.
func (t *SetSchemaMetadata) Configure(config map[string]string) error {
	v, err := setSchemaMetadataDef.Parse(config)
	if err != nil {
		return err
	}
	t.name, t.version = nil, nil
	t.replaceNull = v.Bool("replace.null.with.default")
	if v.Get("schema.name") != nil {
		n := v.String("schema.name")
		t.name = &n
	}
	if v.Get("schema.version") != nil {
		n := v.Int("schema.version")
		t.version = &n
	}
	return nil
}

// Apply replaces the schema.
func (t *SetSchemaMetadata) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if schema == nil {
		return nil, errNeedSchema("updating schema metadata")
	}
	outSchema, _ := t.schemas.get(schema, func(in *connectors.Schema) (*connectors.Schema, error) {
		out := in.Copy()
		if t.name != nil {
			out.Name = *t.name
		}
		if t.version != nil {
			out.Version = *t.version
		}
		return out, nil
	})
	if st, ok := value.(*connectors.Struct); ok {
		moved := connectors.NewStruct(outSchema)
		for i := range schema.Fields {
			moved.SetAt(i, fieldValue(st, i, t.replaceNull))
		}
		value = moved
	}
	return t.side.with(rec, outSchema, value), nil
}
