package transforms

import (
	"fmt"
	"time"

	"conflux/connectors"
)

// typeName names a value's type the way Kafka's error messages do (the Java
// class a Connect value of that Go type has), so that messages read like
// the ones users search for.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "java.lang.String"
	case bool:
		return "java.lang.Boolean"
	case int8:
		return "java.lang.Byte"
	case int16:
		return "java.lang.Short"
	case int32:
		return "java.lang.Integer"
	case int64, int:
		return "java.lang.Long"
	case float32:
		return "java.lang.Float"
	case float64:
		return "java.lang.Double"
	case []byte:
		return "[B"
	case []any:
		return "java.util.ArrayList"
	case map[string]any, map[any]any:
		return "java.util.HashMap"
	case *connectors.Struct:
		return "org.apache.kafka.connect.data.Struct"
	case connectors.Decimal:
		return "java.math.BigDecimal"
	case time.Time:
		return "java.util.Date"
	}
	return fmt.Sprintf("%T", v)
}

// errNeedMap is Kafka's error for a schemaless value that is not a map.
func errNeedMap(purpose string, v any) error {
	return connectors.DataErrorf("Only Map objects supported in absence of schema for [%s], found: %s", purpose, typeName(v))
}

// errNeedStruct is Kafka's error for a value with a schema that is not a
// Struct.
func errNeedStruct(purpose string, v any) error {
	return connectors.DataErrorf("Only Struct objects supported for [%s], found: %s", purpose, typeName(v))
}

// errNeedSchema is Kafka's error for a transform that only works on
// records with a schema.
func errNeedSchema(purpose string) error {
	return connectors.DataErrorf("Schema required for [%s]", purpose)
}
