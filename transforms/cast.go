package transforms

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

// castTargets are the types Kafka's Cast can produce.
var castTargets = map[string]connectors.Type{
	"int8": connectors.TypeInt8, "int16": connectors.TypeInt16, "int32": connectors.TypeInt32, "int64": connectors.TypeInt64,
	"float32": connectors.TypeFloat32, "float64": connectors.TypeFloat64, "boolean": connectors.TypeBoolean, "string": connectors.TypeString,
}

var castDef = configs.NewDef(
	configs.Key{Name: "spec", Type: configs.TypeList, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.All(configs.NonEmptyList(), configs.ValidatorFunc(func(name string, v any) error {
			_, _, err := parseCastSpec(v.([]string))
			return err
		})),
		Documentation: "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string."},
	keyReplaceNull,
)

func init() {
	registerSided("Cast", "Casts fields, or the whole key or value, to another primitive type.", castDef,
		func(s side) connectors.Transformation { return &Cast{side: s} })
}

// Cast changes the type of fields or of the whole key or value (Kafka's
// Cast): numbers to other numbers, booleans and strings; strings parsed as
// numbers or booleans; anything primitive, bytes (base64) and dates (ISO
// 8601) to strings.
type Cast struct {
	nothingToClose
	side        side
	whole       connectors.Type            // non-zero: cast the whole key or value
	fields      map[string]connectors.Type // field name → target type
	replaceNull bool
	schemas     schemaCache
}

// parseCastSpec reads Kafka's spec: field:type pairs, or a single type.
func parseCastSpec(spec []string) (connectors.Type, map[string]connectors.Type, error) {
	if len(spec) == 1 && !strings.Contains(spec[0], ":") {
		t, ok := castTargets[strings.TrimSpace(spec[0])]
		if !ok {
			return 0, nil, configs.Invalid("spec", spec, "Invalid type found in casting spec: "+spec[0])
		}
		return t, nil, nil
	}
	fields := make(map[string]connectors.Type, len(spec))
	for _, entry := range spec {
		name, typ, ok := strings.Cut(entry, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return 0, nil, configs.Invalid("spec", spec, "Invalid rename mapping: "+entry)
		}
		t, ok := castTargets[strings.TrimSpace(typ)]
		if !ok {
			return 0, nil, configs.Invalid("spec", spec, "Invalid type found in casting spec: "+strings.TrimSpace(typ))
		}
		fields[strings.TrimSpace(name)] = t
	}
	return 0, fields, nil
}

// Configure reads spec.
func (t *Cast) Configure(config map[string]string) error {
	v, err := castDef.Parse(config)
	if err != nil {
		return err
	}
	t.whole, t.fields, _ = parseCastSpec(v.List("spec"))
	t.replaceNull = v.Bool("replace.null.with.default")
	return nil
}

// Apply casts the record's key or value.
func (t *Cast) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if value == nil && (schema == nil || t.whole == 0) {
		return rec, nil
	}
	if t.whole != 0 {
		return t.castWhole(rec, schema, value)
	}
	if schema == nil {
		m, ok := asMap(value)
		if !ok {
			return nil, errNeedMap("cast types", value)
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			if to, cast := t.fields[k]; cast && x != nil {
				var err error
				if x, err = castValue(x, nil, to); err != nil {
					return nil, fmt.Errorf("field %s: %w", k, err)
				}
			}
			out[k] = x
		}
		return t.side.with(rec, nil, out), nil
	}
	st, ok := value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("cast types", value)
	}
	outSchema, err := t.schemas.get(schema, t.castSchema)
	if err != nil {
		return nil, err
	}
	out := connectors.NewStruct(outSchema)
	for i, f := range schema.Fields {
		x := fieldValue(st, i, t.replaceNull)
		if to, cast := t.fields[f.Name]; cast && x != nil {
			if x, err = castValue(x, f.Schema, to); err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
		out.SetAt(i, x)
	}
	return t.side.with(rec, outSchema, out), nil
}

// castWhole casts the entire key or value.
func (t *Cast) castWhole(rec *connectors.Record, schema *connectors.Schema, value any) (*connectors.Record, error) {
	var outSchema *connectors.Schema
	if schema != nil {
		var err error
		if outSchema, err = t.schemas.get(schema, func(in *connectors.Schema) (*connectors.Schema, error) {
			return castSchemaOf(in, t.whole)
		}); err != nil {
			return nil, err
		}
	}
	if value == nil {
		return t.side.with(rec, outSchema, nil), nil
	}
	v, err := castValue(value, schema, t.whole)
	if err != nil {
		return nil, err
	}
	return t.side.with(rec, outSchema, v), nil
}

// castSchema derives the struct schema with the cast fields' new types.
func (t *Cast) castSchema(in *connectors.Schema) (*connectors.Schema, error) {
	if in.Type != connectors.TypeStruct {
		return nil, connectors.DataErrorf("Only Struct objects supported for [cast types], found schema: %s", in)
	}
	out := in.Copy()
	for i, f := range in.Fields {
		to, cast := t.fields[f.Name]
		if !cast {
			continue
		}
		s, err := castSchemaOf(f.Schema, to)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		out.Fields[i].Schema = s
	}
	return out, nil
}

// castSchemaOf returns the schema of a value of schema in cast to to: a
// primitive schema with the same optionality and the default cast too.
func castSchemaOf(in *connectors.Schema, to connectors.Type) (*connectors.Schema, error) {
	if !in.Type.Primitive() {
		return nil, connectors.DataErrorf("Cast transformation does not support casting from %s; supported types are %s", in.Type, castTypesList)
	}
	if in.Type == connectors.TypeBytes && in.Name != connectors.DecimalName && to != connectors.TypeString {
		return nil, connectors.DataErrorf("Unexpected type in Cast transformation: BYTES can only be cast to STRING")
	}
	out := &connectors.Schema{Type: to, Optional: in.Optional}
	if in.Default != nil {
		d, err := castValue(in.Default, in, to)
		if err != nil {
			return nil, err
		}
		out.Default = d
	}
	return out, nil
}

const castTypesList = "INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING"

// castValue converts v (of schema s, or schemaless when s is nil) to type
// to, with Java's conversions: numbers truncate and wrap, booleans are 1
// and 0, strings parse strictly.
func castValue(v any, s *connectors.Schema, to connectors.Type) (any, error) {
	if to == connectors.TypeString {
		return castString(v, s)
	}
	var i int64
	var f float64
	isFloat := false
	switch x := v.(type) {
	case int8:
		i = int64(x)
	case int16:
		i = int64(x)
	case int32:
		i = int64(x)
	case int64:
		i = x
	case int:
		i = int64(x)
	case float32:
		f, isFloat = float64(x), true
	case float64:
		f, isFloat = x, true
	case bool:
		if to == connectors.TypeBoolean {
			return x, nil
		}
		if x {
			i = 1
		}
	case connectors.Decimal:
		f, isFloat = x.Float64(), true
	case time.Time:
		i = logicalNumber(x, s)
	case string:
		return parseCast(x, to)
	default:
		return nil, connectors.DataErrorf("Cast transformation does not support casting from %s; supported types are %s", typeName(v), castTypesList)
	}
	if isFloat {
		switch to {
		case connectors.TypeFloat32:
			return float32(f), nil
		case connectors.TypeFloat64:
			return f, nil
		case connectors.TypeBoolean:
			return f != 0, nil
		}
		i = int64(f)
	}
	switch to {
	case connectors.TypeInt8:
		return int8(i), nil
	case connectors.TypeInt16:
		return int16(i), nil
	case connectors.TypeInt32:
		return int32(i), nil
	case connectors.TypeInt64:
		return i, nil
	case connectors.TypeFloat32:
		return float32(i), nil
	case connectors.TypeFloat64:
		return float64(i), nil
	case connectors.TypeBoolean:
		return i != 0, nil
	}
	return nil, connectors.DataErrorf("Cast transformation does not support casting to %s", to)
}

// logicalNumber is the stored number of a date, time or timestamp: epoch
// days, milliseconds of the day, or epoch milliseconds.
func logicalNumber(t time.Time, s *connectors.Schema) int64 {
	if s != nil {
		switch s.Name {
		case connectors.DateName:
			return int64(connectors.EpochDays(t))
		case connectors.TimeName:
			return int64(connectors.MillisOfDay(t))
		}
	}
	return t.UnixMilli()
}

// parseCast parses a string as Java's Integer.valueOf and friends do.
func parseCast(s string, to connectors.Type) (any, error) {
	fail := func(err error) (any, error) {
		return nil, connectors.DataErrorf("value %q cannot be cast to %s: %v", s, to.Name(), err)
	}
	switch to {
	case connectors.TypeBoolean:
		return strings.EqualFold(s, "true"), nil
	case connectors.TypeFloat32, connectors.TypeFloat64:
		bits := 64
		if to == connectors.TypeFloat32 {
			bits = 32
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
		if err != nil {
			return fail(err)
		}
		if bits == 32 {
			return float32(f), nil
		}
		return f, nil
	}
	bits := map[connectors.Type]int{connectors.TypeInt8: 8, connectors.TypeInt16: 16, connectors.TypeInt32: 32, connectors.TypeInt64: 64}[to]
	n, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return fail(err)
	}
	return castValue(n, nil, to)
}

// castString renders v as Kafka's Cast does: Java's toString for numbers
// and booleans, base64 for bytes, ISO 8601 for dates and times.
func castString(v any, s *connectors.Schema) (any, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int8, int16, int32, int64, int:
		return fmt.Sprint(x), nil
	case float32:
		return javaDouble(float64(x), 32), nil
	case float64:
		return javaDouble(x, 64), nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case connectors.Decimal:
		return x.String(), nil
	case time.Time:
		layout := "2006-01-02T15:04:05.000Z"
		if s != nil && s.Name == connectors.DateName {
			layout = "2006-01-02"
		} else if s != nil && s.Name == connectors.TimeName {
			layout = "15:04:05.000Z"
		}
		return x.UTC().Format(layout), nil
	case *connectors.Struct:
		return x.String(), nil
	}
	return nil, connectors.DataErrorf("Cast transformation does not support casting from %s to STRING", typeName(v))
}
