package connectors

import (
	"math"
	"strconv"
)

// ParseText infers a scalar Connect value and its schema from text, as
// Kafka's Values.parseString does for scalars: true/false become booleans,
// integers the smallest of INT8, INT16, INT32 and INT64 that holds them,
// other numbers FLOAT32 when that is exact and FLOAT64 otherwise, and
// anything else a string. The header converter and InsertHeader use it.
func ParseText(s string) (*Schema, any) {
	switch s {
	case "true":
		return BooleanSchema, true
	case "false":
		return BooleanSchema, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n >= math.MinInt8 && n <= math.MaxInt8:
			return Int8Schema, int8(n)
		case n >= math.MinInt16 && n <= math.MaxInt16:
			return Int16Schema, int16(n)
		case n >= math.MinInt32 && n <= math.MaxInt32:
			return Int32Schema, int32(n)
		}
		return Int64Schema, n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && s != "NaN" && s != "Inf" && s != "+Inf" && s != "-Inf" {
		if float64(float32(f)) == f {
			return Float32Schema, float32(f)
		}
		return Float64Schema, f
	}
	return StringSchema, s
}
