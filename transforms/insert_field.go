package transforms

import (
	"maps"
	"strings"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

var insertFieldDef = configs.NewDef(
	configs.Key{Name: "topic.field", Type: configs.TypeString, Default: nil, Importance: configs.Medium,
		Documentation: "Field name for Kafka topic. Suffix with ! to make this a required field, or ? to keep it optional (the default)."},
	configs.Key{Name: "partition.field", Type: configs.TypeString, Default: nil, Importance: configs.Medium,
		Documentation: "Field name for Kafka partition. Suffix with ! to make this a required field, or ? to keep it optional (the default)."},
	configs.Key{Name: "offset.field", Type: configs.TypeString, Default: nil, Importance: configs.Medium,
		Documentation: "Field name for Kafka offset - only applicable to sink connectors. Suffix with ! to make this a required field, or ? to keep it optional (the default)."},
	configs.Key{Name: "timestamp.field", Type: configs.TypeString, Default: nil, Importance: configs.Medium,
		Documentation: "Field name for record timestamp. Suffix with ! to make this a required field, or ? to keep it optional (the default)."},
	configs.Key{Name: "static.field", Type: configs.TypeString, Default: nil, Importance: configs.Medium,
		Documentation: "Field name for static data field. Suffix with ! to make this a required field, or ? to keep it optional (the default)."},
	configs.Key{Name: "static.value", Type: configs.TypeString, Default: nil, Importance: configs.Medium,
		Documentation: "Static field value, if field name configured."},
	keyReplaceNull,
)

func init() {
	registerSided("InsertField", "Adds fields holding the record's topic, partition, offset, timestamp or a static value.", insertFieldDef,
		func(s side) connectors.Transformation { return &InsertField{side: s} })
}

// insertedField is one field InsertField adds.
type insertedField struct {
	name     string
	optional bool
	schema   *connectors.Schema
	value    func(rec *connectors.Record) (any, error)
}

// InsertField adds fields from the record's metadata or a static value
// (Kafka's InsertField). Tombstones pass unchanged.
type InsertField struct {
	nothingToClose
	side        side
	fields      []insertedField
	replaceNull bool
	schemas     schemaCache
}

// Configure reads the field names.
func (t *InsertField) Configure(config map[string]string) error {
	v, err := insertFieldDef.Parse(config)
	if err != nil {
		return err
	}
	t.replaceNull = v.Bool("replace.null.with.default")
	t.fields = nil
	add := func(key string, schema *connectors.Schema, value func(*connectors.Record) (any, error)) {
		spec, _ := v.Get(key).(string)
		if spec == "" {
			return
		}
		f := insertedField{name: spec, optional: true, value: value}
		if name, ok := strings.CutSuffix(spec, "!"); ok {
			f.name, f.optional = name, false
		} else if name, ok := strings.CutSuffix(spec, "?"); ok {
			f.name = name
		}
		f.schema = schema
		if f.optional {
			f.schema = optional(schema)
		}
		t.fields = append(t.fields, f)
	}
	add("topic.field", connectors.StringSchema, func(r *connectors.Record) (any, error) { return r.Topic, nil })
	add("partition.field", connectors.Int32Schema, func(r *connectors.Record) (any, error) {
		if r.KafkaPartition == nil {
			return nil, nil
		}
		return *r.KafkaPartition, nil
	})
	add("offset.field", connectors.Int64Schema, func(r *connectors.Record) (any, error) {
		if r.SourcePartition != nil || r.TimestampType == connectors.NoTimestampType {
			return nil, connectors.DataErrorf("Only SinkRecord supported for [field insertion], found: SourceRecord")
		}
		return r.KafkaOffset, nil
	})
	add("timestamp.field", connectors.TimestampSchema().MustBuild(), func(r *connectors.Record) (any, error) {
		if r.Timestamp.IsZero() {
			return nil, nil
		}
		return r.Timestamp, nil
	})
	static := v.Get("static.value")
	add("static.field", connectors.StringSchema, func(*connectors.Record) (any, error) { return static, nil })
	return nil
}

// values computes the inserted fields' values for rec.
func (t *InsertField) values(rec *connectors.Record, schemaless bool) ([]any, error) {
	out := make([]any, len(t.fields))
	for i, f := range t.fields {
		v, err := f.value(rec)
		if err != nil {
			return nil, err
		}
		if v == nil && !f.optional {
			return nil, connectors.DataErrorf("Invalid value: null used for required field: %q, schema type: %s", f.name, f.schema.Type)
		}
		if ts, ok := v.(time.Time); ok && schemaless {
			v = ts.UnixMilli()
		}
		out[i] = v
	}
	return out, nil
}

// Apply adds the fields.
func (t *InsertField) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if value == nil || len(t.fields) == 0 {
		return rec, nil
	}
	if schema == nil {
		m, ok := asMap(value)
		if !ok {
			return nil, errNeedMap("field insertion", value)
		}
		vals, err := t.values(rec, true)
		if err != nil {
			return nil, err
		}
		out := maps.Clone(m)
		for i, f := range t.fields {
			out[f.name] = vals[i]
		}
		return t.side.with(rec, nil, out), nil
	}
	st, ok := value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("field insertion", value)
	}
	outSchema, err := t.schemas.get(schema, func(in *connectors.Schema) (*connectors.Schema, error) {
		out := in.Copy()
		out.Default = nil
		for _, f := range t.fields {
			if in.FieldIndex(f.name) >= 0 {
				return nil, connectors.DataErrorf("Cannot create field because of field name duplication %s", f.name)
			}
			out.Fields = append(out.Fields, connectors.Field{Name: f.name, Schema: f.schema})
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	vals, err := t.values(rec, false)
	if err != nil {
		return nil, err
	}
	out := connectors.NewStruct(outSchema)
	for i := range schema.Fields {
		out.SetAt(i, fieldValue(st, i, t.replaceNull))
	}
	for i, v := range vals {
		out.SetAt(len(schema.Fields)+i, v)
	}
	return t.side.with(rec, outSchema, out), nil
}
