package connectors

import (
	"bytes"
	"reflect"
	"time"
)

// Validate checks that value is valid for the schema: null only when the
// schema is optional or has a default, and otherwise of the schema's Go
// type (see [Type]), recursively for arrays, maps and structs (whose schema
// must equal s). Errors are [*DataError]s in Kafka's words.
func (s *Schema) Validate(value any) error {
	if value == nil && s.Default != nil {
		return nil
	}
	return validateValue("", s, value)
}

func validateValue(field string, s *Schema, value any) error {
	if value == nil {
		if s.Optional {
			return nil
		}
		if field != "" {
			return DataErrorf("Invalid value: null used for required field: %q, schema type: %s", field, s.Type)
		}
		return DataErrorf("Invalid value: null used for required schema type: %s", s.Type)
	}
	ok := false
	switch s.Name {
	case DecimalName:
		if d, isDec := value.(Decimal); isDec && s.Type == TypeBytes {
			scale, err := DecimalScale(s)
			if err != nil {
				return err
			}
			if d.Scale != scale {
				return DataErrorf("Decimal has mismatching scale value for given Decimal schema")
			}
			return nil
		}
		return wrongType(field, s, value)
	case DateName, TimeName, TimestampName:
		if _, isTime := value.(time.Time); isTime {
			return nil
		}
		return wrongType(field, s, value)
	}
	switch s.Type {
	case TypeInt8:
		_, ok = value.(int8)
	case TypeInt16:
		_, ok = value.(int16)
	case TypeInt32:
		_, ok = value.(int32)
	case TypeInt64:
		_, ok = value.(int64)
	case TypeFloat32:
		_, ok = value.(float32)
	case TypeFloat64:
		_, ok = value.(float64)
	case TypeBoolean:
		_, ok = value.(bool)
	case TypeString:
		_, ok = value.(string)
	case TypeBytes:
		_, ok = value.([]byte)
	case TypeArray:
		arr, isArr := value.([]any)
		if !isArr {
			break
		}
		for _, e := range arr {
			if err := validateValue(field, s.Items, e); err != nil {
				return err
			}
		}
		return nil
	case TypeMap:
		switch m := value.(type) {
		case map[string]any:
			if s.Keys.Type != TypeString {
				break
			}
			for _, v := range m {
				if err := validateValue(field, s.Values, v); err != nil {
					return err
				}
			}
			return nil
		case map[any]any:
			for k, v := range m {
				if err := validateValue(field, s.Keys, k); err != nil {
					return err
				}
				if err := validateValue(field, s.Values, v); err != nil {
					return err
				}
			}
			return nil
		}
	case TypeStruct:
		st, isStruct := value.(*Struct)
		if !isStruct {
			break
		}
		if st.schema != s && !st.schema.Equal(s) {
			return DataErrorf("Struct schemas do not match.")
		}
		return st.Validate()
	}
	if !ok {
		return wrongType(field, s, value)
	}
	return nil
}

func wrongType(field string, s *Schema, value any) error {
	name := ""
	if s.Name != "" {
		name = " \"" + s.Name + "\""
	}
	if field != "" {
		return DataErrorf("Invalid Go value for schema%s with type %s: %T for field: %q", name, s.Type, value, field)
	}
	return DataErrorf("Invalid Go value for schema%s with type %s: %T", name, s.Type, value)
}

// ValuesEqual reports whether two Connect values are deeply equal: byte
// slices by content, Decimals by unscaled value and scale, times by instant,
// Structs by schema and fields, arrays and maps element by element.
func ValuesEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Decimal:
		y, ok := b.(Decimal)
		return ok && x.Equal(y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case *Struct:
		y, ok := b.(*Struct)
		return ok && x.Equal(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !ValuesEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, found := y[k]
			if !found || !ValuesEqual(v, w) {
				return false
			}
		}
		return true
	case map[any]any:
		y, ok := b.(map[any]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, found := y[k]
			if !found || !ValuesEqual(v, w) {
				return false
			}
		}
		return true
	case int8, int16, int32, int64, float32, float64, bool, string:
		return a == b
	}
	return reflect.DeepEqual(a, b)
}
