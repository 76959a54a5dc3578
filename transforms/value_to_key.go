package transforms

import (
	"conflux/configs"
	"conflux/connectors"
)

var valueToKeyDef = configs.NewDef(
	configs.Key{Name: "fields", Type: configs.TypeList, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.NonEmptyList(), Documentation: "Field names on the record value to extract as the record key."},
	keyReplaceNull,
)

func init() {
	registerTransform("ValueToKey", "Replaces the key with a Struct or map of fields of the value.", valueToKeyDef,
		func() connectors.Transformation { return &ValueToKey{} })
}

// ValueToKey sets the key to a Struct (with a value schema) or map
// (without) of some value fields (Kafka's ValueToKey).
type ValueToKey struct {
	nothingToClose
	fields      []string
	replaceNull bool
	schemas     schemaCache
}

// Configure reads fields.
func (t *ValueToKey) Configure(config map[string]string) error {
	v, err := valueToKeyDef.Parse(config)
	if err != nil {
		return err
	}
	t.fields = v.List("fields")
	t.replaceNull = v.Bool("replace.null.with.default")
	return nil
}

// Apply builds the key.
func (t *ValueToKey) Apply(rec *connectors.Record) (*connectors.Record, error) {
	if rec.ValueSchema == nil {
		m, ok := asMap(rec.Value)
		if !ok {
			return nil, errNeedMap("copying fields from value to key", rec.Value)
		}
		key := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			key[f] = m[f]
		}
		out := rec.Copy()
		out.KeySchema, out.Key = nil, key
		return out, nil
	}
	st, ok := rec.Value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("copying fields from value to key", rec.Value)
	}
	keySchema, err := t.schemas.get(rec.ValueSchema, func(in *connectors.Schema) (*connectors.Schema, error) {
		b := connectors.StructSchema()
		for _, name := range t.fields {
			f := in.Field(name)
			if f == nil {
				return nil, connectors.DataErrorf("Field does not exist: %s", name)
			}
			b.Field(name, f.Schema)
		}
		return b.Build()
	})
	if err != nil {
		return nil, err
	}
	key := connectors.NewStruct(keySchema)
	for i, name := range t.fields {
		key.SetAt(i, fieldValue(st, st.Schema().FieldIndex(name), t.replaceNull))
	}
	out := rec.Copy()
	out.KeySchema, out.Key = keySchema, key
	return out, nil
}
