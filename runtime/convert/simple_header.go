package convert

import (
	"strconv"

	"conflux/connectors"
)

// SimpleHeaderConverterClass is Kafka Connect's default header.converter.
const SimpleHeaderConverterClass = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

// SimpleHeaderConverter is Kafka Connect's SimpleHeaderConverter, the
// default header converter: header values are written as their text and
// read back with their type inferred from the text by
// [connectors.ParseText]. Lists and maps written as text are read back as
// strings. It is safe for concurrent use.
type SimpleHeaderConverter struct{}

// NewSimpleHeaderConverter returns a SimpleHeaderConverter.
func NewSimpleHeaderConverter() *SimpleHeaderConverter { return &SimpleHeaderConverter{} }

// ConfigureHeader accepts and ignores settings: the converter has none.
func (*SimpleHeaderConverter) ConfigureHeader(map[string]string) error { return nil }

// FromConnectHeader returns the value's text; nil gives nil.
func (*SimpleHeaderConverter) FromConnectHeader(_, _ string, _ *connectors.Schema, value any) ([]byte, error) {
	switch x := value.(type) {
	case nil:
		return nil, nil
	case int64: // a record's offsets and ids: one allocation, not two
		return strconv.AppendInt(nil, x, 10), nil
	case int32:
		return strconv.AppendInt(nil, int64(x), 10), nil
	}
	return []byte(textOf(value)), nil
}

// ToConnectHeader infers the value's type from its text.
func (*SimpleHeaderConverter) ToConnectHeader(_, _ string, data []byte) (*connectors.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	schema, value := connectors.ParseText(string(data))
	return schema, value, nil
}
