package transforms

import (
	"conflux/configs"
	"conflux/connectors"
)

var hoistFieldDef = configs.NewDef(configs.Key{
	Name: "field", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.Medium,
	Documentation: "Field name for the single field that will be created in the resulting Struct or Map.",
})

func init() {
	registerSided("HoistField", "Wraps the key or value in a Struct (with a schema) or a map (without) under one field.", hoistFieldDef,
		func(s side) connectors.Transformation { return &HoistField{side: s} })
}

// HoistField wraps the key or value in a one-field Struct or map (Kafka's
// HoistField).
type HoistField struct {
	nothingToClose
	side    side
	field   string
	schemas schemaCache
}

// Configure reads field.
func (t *HoistField) Configure(config map[string]string) error {
	v, err := hoistFieldDef.Parse(config)
	if err != nil {
		return err
	}
	t.field = v.String("field")
	return nil
}

// Apply wraps the value.
func (t *HoistField) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if schema == nil {
		return t.side.with(rec, nil, map[string]any{t.field: value}), nil
	}
	outSchema, err := t.schemas.get(schema, func(in *connectors.Schema) (*connectors.Schema, error) {
		return connectors.StructSchema().Field(t.field, in).Build()
	})
	if err != nil {
		return nil, err
	}
	return t.side.with(rec, outSchema, connectors.NewStruct(outSchema).Put(t.field, value)), nil
}
