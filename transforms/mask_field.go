package transforms

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

var maskFieldDef = configs.NewDef(
	configs.Key{Name: "fields", Type: configs.TypeList, Default: configs.NoDefault, Importance: configs.High,
		Validator: configs.NonEmptyList(), Documentation: "Names of fields to mask."},
	configs.Key{Name: "replacement", Type: configs.TypeString, Default: nil, Importance: configs.Low,
		Validator:     configs.NonEmptyString(),
		Documentation: "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only)."},
	keyReplaceNull,
)

func init() {
	registerSided("MaskField", "Replaces fields with the empty value of their type, or with a replacement.", maskFieldDef,
		func(s side) connectors.Transformation { return &MaskField{side: s} })
}

// MaskField hides fields (Kafka's MaskField): each becomes the empty value
// of its type (0, false, "", an empty array or map, the epoch) or, for
// numbers and strings, the configured replacement. Null stays null.
type MaskField struct {
	nothingToClose
	side        side
	fields      []string
	replacement *string
}

// Configure reads fields and replacement.
func (t *MaskField) Configure(config map[string]string) error {
	v, err := maskFieldDef.Parse(config)
	if err != nil {
		return err
	}
	t.fields = v.List("fields")
	if v.Get("replacement") != nil {
		r := v.String("replacement")
		t.replacement = &r
	}
	return nil
}

// Apply masks the fields. The schema does not change.
func (t *MaskField) Apply(rec *connectors.Record) (*connectors.Record, error) {
	schema, value := t.side.get(rec)
	if value == nil {
		return rec, nil
	}
	if schema == nil {
		m, ok := asMap(value)
		if !ok {
			return nil, errNeedMap("mask fields", value)
		}
		out := maps.Clone(m)
		for _, f := range t.fields {
			masked, err := t.mask(out[f])
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f, err)
			}
			out[f] = masked
		}
		return t.side.with(rec, nil, out), nil
	}
	st, ok := value.(*connectors.Struct)
	if !ok {
		return nil, errNeedStruct("mask fields", value)
	}
	for _, f := range t.fields {
		if schema.FieldIndex(f) < 0 {
			return nil, connectors.DataErrorf("%s is not a valid field name", f)
		}
	}
	out := st.Copy()
	for i, f := range schema.Fields {
		if !slices.Contains(t.fields, f.Name) {
			continue
		}
		masked, err := t.mask(st.At(i))
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		out.SetAt(i, masked)
	}
	return t.side.with(rec, schema, out), nil
}

// mask returns the masked form of v.
func (t *MaskField) mask(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t.replacement != nil {
		return t.replace(v)
	}
	switch x := v.(type) {
	case bool:
		return false, nil
	case int8:
		return int8(0), nil
	case int16:
		return int16(0), nil
	case int32:
		return int32(0), nil
	case int64:
		return int64(0), nil
	case float32:
		return float32(0), nil
	case float64:
		return float64(0), nil
	case string:
		return "", nil
	case []byte:
		return []byte{}, nil
	case connectors.Decimal:
		return connectors.DecimalFromInt64(0, x.Scale), nil
	case time.Time:
		return time.UnixMilli(0).UTC(), nil
	case []any:
		return []any{}, nil
	case map[string]any:
		return map[string]any{}, nil
	case map[any]any:
		return map[any]any{}, nil
	}
	return nil, connectors.DataErrorf("Cannot mask value of type: %s", typeName(v))
}

// replace returns the replacement in v's type.
func (t *MaskField) replace(v any) (any, error) {
	r := *t.replacement
	var to connectors.Type
	switch x := v.(type) {
	case string:
		return r, nil
	case int8:
		to = connectors.TypeInt8
	case int16:
		to = connectors.TypeInt16
	case int32:
		to = connectors.TypeInt32
	case int64:
		to = connectors.TypeInt64
	case float32:
		to = connectors.TypeFloat32
	case float64:
		to = connectors.TypeFloat64
	case connectors.Decimal:
		d, err := connectors.ParseDecimal(r)
		if err != nil {
			return nil, connectors.DataErrorf("Unable to convert %s (%s) to number", r, typeName(v))
		}
		return d.Rescale(x.Scale)
	default:
		return nil, connectors.DataErrorf("Cannot mask value of type %s with custom replacement.", typeName(v))
	}
	out, err := parseCast(r, to)
	if err != nil {
		return nil, connectors.DataErrorf("Unable to convert %s (%s) to number", r, typeName(v))
	}
	return out, nil
}
