package convert

import (
	"math"
	"strconv"

	"conflux/connectors"
)

// SimpleHeaderConverterClass is Kafka Connect's default header.converter.
const SimpleHeaderConverterClass = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

// SimpleHeaderConverter is Kafka Connect's SimpleHeaderConverter, the
// default header converter: header values are written as their text and
// read back with their type inferred from the text, as Kafka's
// Values.parseString does for scalars: true/false become booleans,
// integers the smallest of INT8, INT16, INT32 and INT64 that holds them,
// other numbers FLOAT32 when that is exact and FLOAT64 otherwise, and
// anything else a string. Lists and maps written as text are read back as
// strings. It is safe for concurrent use.
type SimpleHeaderConverter struct{}

// NewSimpleHeaderConverter returns a SimpleHeaderConverter.
func NewSimpleHeaderConverter() *SimpleHeaderConverter { return &SimpleHeaderConverter{} }

// ConfigureHeader accepts and ignores settings: the converter has none.
func (*SimpleHeaderConverter) ConfigureHeader(map[string]string) error { return nil }

// FromConnectHeader returns the value's text; nil gives nil.
func (*SimpleHeaderConverter) FromConnectHeader(_, _ string, _ *connectors.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	return []byte(textOf(value)), nil
}

// ToConnectHeader infers the value's type from its text.
func (*SimpleHeaderConverter) ToConnectHeader(_, _ string, data []byte) (*connectors.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	s := string(data)
	switch s {
	case "true":
		return connectors.BooleanSchema, true, nil
	case "false":
		return connectors.BooleanSchema, false, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n >= math.MinInt8 && n <= math.MaxInt8:
			return connectors.Int8Schema, int8(n), nil
		case n >= math.MinInt16 && n <= math.MaxInt16:
			return connectors.Int16Schema, int16(n), nil
		case n >= math.MinInt32 && n <= math.MaxInt32:
			return connectors.Int32Schema, int32(n), nil
		}
		return connectors.Int64Schema, n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && s != "NaN" && s != "Inf" && s != "+Inf" && s != "-Inf" {
		if float64(float32(f)) == f {
			return connectors.Float32Schema, float32(f), nil
		}
		return connectors.Float64Schema, f, nil
	}
	return connectors.StringSchema, s, nil
}
