package transforms

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

// Target types of TimestampConverter, Kafka's names.
const (
	tsString    = "string"
	tsUnix      = "unix"
	tsDate      = "Date"
	tsTime      = "Time"
	tsTimestamp = "Timestamp"
)

// unixUnits maps unix.precision to the length of one unit.
var unixUnits = map[string]time.Duration{
	"seconds": time.Second, "milliseconds": time.Millisecond, "microseconds": time.Microsecond, "nanoseconds": time.Nanosecond,
}

var timestampConverterDef = configs.NewDef(
	configs.Key{Name: "target.type", Type: configs.TypeString, Default: configs.NoDefault, Importance: configs.High,
		Validator:     configs.ValidString(tsString, tsUnix, tsDate, tsTime, tsTimestamp),
		Documentation: "The desired timestamp representation: string, unix, Date, Time, or Timestamp"},
	configs.Key{Name: "field", Type: configs.TypeString, Default: "", Importance: configs.High,
		Documentation: "The field containing the timestamp, or empty if the entire value is a timestamp"},
	configs.Key{Name: "format", Type: configs.TypeString, Default: "", Importance: configs.Medium,
		Validator: configs.ValidatorFunc(func(name string, v any) error {
			if s := v.(string); s != "" {
				if _, err := javaLayout(s); err != nil {
					return configs.Invalid(name, v, "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: "+err.Error())
				}
			}
			return nil
		}),
		Documentation: "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string."},
	configs.Key{Name: "unix.precision", Type: configs.TypeString, Default: "milliseconds", Importance: configs.Low,
		Validator:     configs.ValidString("nanoseconds", "microseconds", "milliseconds", "seconds"),
		Documentation: "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long."},
	keyReplaceNull,
).Check(func(v *configs.Values) []*configs.Error {
	if v.String("target.type") == tsString && v.String("format") == "" {
		return []*configs.Error{configs.Conflict("format", "TimestampConverter requires format option to be specified when using string timestamps")}
	}
	return nil
})

func init() {
	registerSided("TimestampConverter", "Converts timestamps between strings, Unix epoch numbers and the Date, Time and Timestamp types.", timestampConverterDef,
		func(s side) connectors.Transformation { return &TimestampConverter{side: s} })
}

// TimestampConverter converts a timestamp field, or the whole key or value,
// between a formatted string, a Unix epoch number and Connect's Date, Time
// and Timestamp (Kafka's TimestampConverter). Times are in UTC, as in
// Kafka.
type TimestampConverter struct {
	nothingToClose
	side        side
	target      string
	field       string
	format      string // the SimpleDateFormat pattern, for messages
	layout      string
	unit        time.Duration
	replaceNull bool
	schemas     schemaCache
}

// Configure reads the settings.
func (t *TimestampConverter) Configure(config map[string]string) error {
	v, err := timestampConverterDef.Parse(config)
	if err != nil {
		return err
	}
	t.target, t.field = v.String("target.type"), v.String("field")
	t.format = v.String("format")
	t.layout, _ = javaLayout(t.format)
	t.unit = unixUnits[v.String("unix.precision")]
	t.replaceNull = v.Bool("replace.null.with.default")
	return nil
}

// targetSchema is the schema of a converted value; optional follows the
// input.
func (t *TimestampConverter) targetSchema(optional bool) *connectors.Schema {
	var b *connectors.SchemaBuilder
	switch t.target {
	case tsString:
		b = connectors.NewSchemaBuilder(connectors.TypeString)
	case tsUnix:
		b = connectors.NewSchemaBuilder(connectors.TypeInt64)
	case tsDate:
		b = connectors.DateSchema()
	case tsTime:
		b = connectors.TimeSchema()
	default:
		b = connectors.TimestampSchema()
	}
	if optional {
		b.Optional()
	}
	return b.MustBuild()
}

// Apply converts the timestamp.
func (t *TimestampConverter) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if t.field == "" {
		if value == nil && schema == nil {
			return rec, nil
		}
		var outSchema *connectors.Schema
		if schema != nil {
			outSchema = t.targetSchema(schema.Optional)
		}
		if value == nil {
			return t.side.with(rec, outSchema, nil), nil
		}
		out, err := t.convert(value, schema)
		if err != nil {
			return nil, err
		}
		return t.side.with(rec, outSchema, out), nil
	}
	if value == nil {
		return rec, nil
	}
	if schema == nil {
		m, ok := asMap(value)
		if !ok {
			return nil, errNeedMap("converting timestamp formats", value)
		}
		out := maps.Clone(m)
		if x := m[t.field]; x != nil {
			c, err := t.convert(x, nil)
			if err != nil {
				return nil, err
			}
			out[t.field] = c
		}
		return t.side.with(rec, nil, out), nil
	}
	st, ok := value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("converting timestamp formats", value)
	}
	i := schema.FieldIndex(t.field)
	if i < 0 {
		return nil, connectors.DataErrorf("%s is not a valid field name", t.field)
	}
	outSchema, _ := t.schemas.get(schema, func(in *connectors.Schema) (*connectors.Schema, error) {
		out := in.Copy()
		out.Default = nil
		out.Fields[i].Schema = t.targetSchema(in.Fields[i].Schema.Optional)
		return out, nil
	})
	out := connectors.NewStruct(outSchema)
	for j := range schema.Fields {
		x := fieldValue(st, j, t.replaceNull)
		if j == i && x != nil {
			var err error
			if x, err = t.convert(x, schema.Fields[i].Schema); err != nil {
				return nil, err
			}
		}
		out.SetAt(j, x)
	}
	return t.side.with(rec, outSchema, out), nil
}

// convert turns one non-null timestamp into the target type.
func (t *TimestampConverter) convert(v any, schema *connectors.Schema) (any, error) {
	ts, err := t.toTime(v, schema)
	if err != nil {
		return nil, err
	}
	ts = ts.UTC()
	switch t.target {
	case tsString:
		return ts.Format(t.layout), nil
	case tsUnix:
		return ts.UnixNano() / int64(t.unit), nil
	case tsDate:
		return time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC), nil
	case tsTime:
		return time.Date(1970, 1, 1, ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond()/1e6*1e6, time.UTC), nil
	}
	return ts, nil
}

// toTime reads a timestamp of any supported form.
func (t *TimestampConverter) toTime(v any, schema *connectors.Schema) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case int64:
		return time.Unix(0, 0).Add(time.Duration(x) * t.unit), nil
	case int32:
		if schema == nil || schema.Type == connectors.TypeInt64 {
			return time.Unix(0, 0).Add(time.Duration(x) * t.unit), nil
		}
	case int:
		return time.Unix(0, 0).Add(time.Duration(x) * t.unit), nil
	case string:
		if t.layout == "" {
			return time.Time{}, connectors.DataErrorf("TimestampConverter requires format option to be specified when using string timestamps")
		}
		ts, err := time.ParseInLocation(t.layout, x, time.UTC)
		if err != nil {
			return time.Time{}, connectors.DataErrorf("Could not parse timestamp: value (%s) does not match pattern (%s): %v", x, t.format, strings.TrimPrefix(err.Error(), "parsing time "))
		}
		return ts, nil
	}
	return time.Time{}, connectors.DataErrorf("%s", fmt.Sprintf("Expected a timestamp, unix time or formatted string, found: %s", typeName(v)))
}
