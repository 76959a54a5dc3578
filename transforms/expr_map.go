package transforms

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

// prefixSet starts the keys of map's computed fields: set.<field>.
const prefixSet = "set."

var exprMapDef = configs.NewDef(
	configs.Key{Name: "remove", Type: configs.TypeList, Default: "", Importance: configs.Medium,
		Documentation: "Fields of the value to remove."},
	configs.Key{Name: "topic", Type: configs.TypeString, Default: nil, Importance: configs.Medium,
		Validator:     expressionValidator(false),
		Documentation: "An expression whose string result becomes the record's topic."},
	configs.Key{Name: "key", Type: configs.TypeString, Default: nil, Importance: configs.Medium,
		Validator:     expressionValidator(false),
		Documentation: "An expression whose result becomes the record's key."},
).Check(func(v *configs.Values) []*configs.Error {
	var errs []*configs.Error
	for k, src := range v.Originals() {
		if field, ok := strings.CutPrefix(k, prefixSet); ok {
			if field == "" {
				errs = append(errs, configs.Invalid(k, src, "set. needs a field name: set.<field>=<expression>"))
			} else if _, err := compileExpression(k, src, false, &exprUses{}); err != nil {
				errs = append(errs, err.(*configs.Error))
			}
		}
	}
	if len(errs) == 0 && len(v.List("remove")) == 0 && v.Get("topic") == nil && v.Get("key") == nil && !hasSetKey(v.Originals()) {
		errs = append(errs, configs.Conflict("set", "map needs at least one of set.<field>, remove, topic or key"))
	}
	return errs
})

func hasSetKey(config map[string]string) bool {
	for k := range config {
		if strings.HasPrefix(k, prefixSet) {
			return true
		}
	}
	return false
}

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "map",
		Aliases:   []string{"io.conflux.transforms.ExpressionMap"},
		Type:      connectors.PluginTransformation,
		Version:   Version,
		Summary:   "Computes value fields, removes fields, and sets the topic or key with expressions.",
		ConfigDef: exprMapDef,
		New:       func() any { return &ExpressionMap{} },
	})
}

// computedField is one set.<field> expression.
type computedField struct {
	name string
	expr program
}

// ExpressionMap reshapes records with expressions: set.<field> computes a
// value field, remove drops fields, topic routes and key rekeys. Every
// expression sees the record as it came in. With a value schema, computed
// fields that exist keep their type (the result is cast to it) and new
// ones are added as optional fields typed after their result.
type ExpressionMap struct {
	nothingToClose
	set      []computedField
	remove   []string
	topic    *program
	key      *program
	eval     evaluator
	schemas  map[mapSchemaKey]*connectors.Schema
	lastType map[string]*connectors.Schema // new field → schema of its last non-null result
}

// mapSchemaKey identifies an output schema: the input schema and the
// types of the new fields' results.
type mapSchemaKey struct {
	in    *connectors.Schema
	types string
}

// Configure compiles the expressions.
func (t *ExpressionMap) Configure(config map[string]string) error {
	v, err := exprMapDef.Parse(config)
	if err != nil {
		return err
	}
	*t = ExpressionMap{remove: v.List("remove"), schemas: map[mapSchemaKey]*connectors.Schema{}, lastType: map[string]*connectors.Schema{}}
	names := make([]string, 0, len(config))
	for k := range config {
		if strings.HasPrefix(k, prefixSet) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		p, err := compileExpression(k, config[k], false, &t.eval.uses)
		if err != nil {
			return err
		}
		t.set = append(t.set, computedField{name: strings.TrimPrefix(k, prefixSet), expr: p})
	}
	for _, c := range []struct {
		key string
		dst **program
	}{{"topic", &t.topic}, {"key", &t.key}} {
		if src, ok := v.Get(c.key).(string); ok {
			p, err := compileExpression(c.key, src, false, &t.eval.uses)
			if err != nil {
				return err
			}
			*c.dst = &p
		}
	}
	if len(t.set) > 0 || len(t.remove) > 0 {
		t.eval.uses.value = true
	}
	return nil
}

// Apply evaluates the expressions and builds the new record.
func (t *ExpressionMap) Apply(rec *connectors.Record) (*connectors.Record, error) {
	t.eval.load(rec)
	out := rec.Copy()
	if t.topic != nil {
		topic, err := t.eval.run("map: topic", *t.topic)
		if err != nil {
			return nil, err
		}
		s, ok := topic.(string)
		if !ok || s == "" {
			return nil, connectors.DataErrorf("map: topic: expression %q gave %v (%s), not a topic name", t.topic.source, topic, typeName(topic))
		}
		out.Topic = s
	}
	if t.key != nil {
		key, err := t.eval.run("map: key", *t.key)
		if err != nil {
			return nil, err
		}
		out.KeySchema, out.Key = schemaOfResult(key), connectValue(key)
	}
	if rec.Value == nil || (len(t.set) == 0 && len(t.remove) == 0) {
		return out, nil
	}
	results := make([]any, len(t.set))
	for i, f := range t.set {
		r, err := t.eval.run("map: set."+f.name, f.expr)
		if err != nil {
			return nil, err
		}
		results[i] = connectValue(r)
	}
	if rec.ValueSchema == nil {
		m, ok := asMap(rec.Value)
		if !ok {
			return nil, errNeedMap("map", rec.Value)
		}
		value := make(map[string]any, len(m)+len(t.set))
		for k, x := range m {
			if !slices.Contains(t.remove, k) {
				value[k] = x
			}
		}
		for i, f := range t.set {
			value[f.name] = results[i]
		}
		out.Value = value
		return out, nil
	}
	st, ok := rec.Value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("map", rec.Value)
	}
	return t.applyStruct(out, st, results)
}

// applyStruct builds the new Struct value of a record with a schema.
func (t *ExpressionMap) applyStruct(out *connectors.Record, st *connectors.Struct, results []any) (*connectors.Record, error) {
	in := st.Schema()
	var sig strings.Builder
	for i, f := range t.set {
		fs := in.Field(f.name)
		if fs != nil {
			// A plain primitive field keeps its type; logical types
			// (dates, decimals) take the expression's value as it is.
			if results[i] != nil && fs.Schema.Type.Primitive() && fs.Schema.Name == "" {
				v, err := castValue(results[i], nil, fs.Schema.Type)
				if err != nil {
					return nil, fmt.Errorf("map: set.%s: %w", f.name, err)
				}
				results[i] = v
			}
			continue
		}
		s := schemaOfResult(results[i])
		if s == nil && results[i] != nil {
			return nil, connectors.DataErrorf("map: set.%s: a %s cannot be a field of a value with a schema", f.name, typeName(results[i]))
		}
		if s == nil {
			s = t.lastType[f.name]
			if s == nil {
				s = connectors.OptionalStringSchema
			}
		}
		t.lastType[f.name] = s
		sig.WriteString(f.name)
		sig.WriteByte('=')
		sig.WriteString(s.String())
		sig.WriteByte(';')
	}
	key := mapSchemaKey{in: in, types: sig.String()}
	outSchema := t.schemas[key]
	if outSchema == nil {
		outSchema = in.Copy()
		outSchema.Default = nil
		outSchema.Fields = slices.DeleteFunc(outSchema.Fields, func(f connectors.Field) bool { return slices.Contains(t.remove, f.Name) })
		for _, f := range t.set {
			if outSchema.FieldIndex(f.name) < 0 && in.FieldIndex(f.name) < 0 {
				outSchema.Fields = append(outSchema.Fields, connectors.Field{Name: f.name, Schema: t.lastType[f.name]})
			}
		}
		if len(t.schemas) >= maxCachedSchemas {
			clear(t.schemas)
		}
		t.schemas[key] = outSchema
	}
	value := connectors.NewStruct(outSchema)
	for i, f := range outSchema.Fields {
		if j := in.FieldIndex(f.Name); j >= 0 {
			value.SetAt(i, st.At(j))
		}
	}
	for i, f := range t.set {
		if j := outSchema.FieldIndex(f.name); j >= 0 {
			value.SetAt(j, results[i])
		}
	}
	out.ValueSchema, out.Value = outSchema, value
	return out, nil
}

// connectValue turns an expression result into a Connect value: expr's int
// becomes int64.
func connectValue(v any) any {
	if n, ok := v.(int); ok {
		return int64(n)
	}
	return v
}

// schemaOfResult is the optional schema of an expression's result; nil for
// null, maps and arrays, which stay schemaless.
func schemaOfResult(v any) *connectors.Schema {
	switch v.(type) {
	case bool:
		return connectors.OptionalBooleanSchema
	case int, int64:
		return connectors.OptionalInt64Schema
	case int32:
		return connectors.OptionalInt32Schema
	case int16:
		return connectors.OptionalInt16Schema
	case int8:
		return connectors.OptionalInt8Schema
	case float64:
		return connectors.OptionalFloat64Schema
	case float32:
		return connectors.OptionalFloat32Schema
	case string:
		return connectors.OptionalStringSchema
	case []byte:
		return connectors.OptionalBytesSchema
	case time.Time:
		return optionalTimestampSchema
	}
	return nil
}

var optionalTimestampSchema = connectors.TimestampSchema().Optional().MustBuild()
