package convert

import "conflux/connectors"

// ByteArrayConverter is Kafka Connect's ByteArrayConverter: values are
// bytes and pass through unchanged, with an optional bytes schema on read.
// It implements connectors.Converter and connectors.HeaderConverter, has no
// settings, and is safe for concurrent use.
type ByteArrayConverter struct{}

// NewByteArrayConverter returns a ByteArrayConverter.
func NewByteArrayConverter() *ByteArrayConverter { return &ByteArrayConverter{} }

// Configure does nothing: the converter has no settings.
func (ByteArrayConverter) Configure(config map[string]string, isKey bool) error { return nil }

// ConfigureHeader does nothing.
func (ByteArrayConverter) ConfigureHeader(config map[string]string) error { return nil }

// FromConnectData returns value, which must be a []byte (or nil) with a nil
// or BYTES schema; the slice is returned as is, not copied. Other schemas
// and values give Kafka's errors ("Invalid schema type for
// ByteArrayConverter: STRING", "ByteArrayConverter is not compatible with
// objects of type string").
func (ByteArrayConverter) FromConnectData(topic string, headers *connectors.RawHeaders, schema *connectors.Schema, value any) ([]byte, error) {
	if schema != nil && schema.Type != connectors.TypeBytes {
		return nil, connectors.DataErrorf("Invalid schema type for ByteArrayConverter: %s", schema.Type)
	}
	if value == nil {
		return nil, nil
	}
	b, ok := value.([]byte)
	if !ok {
		return nil, connectors.DataErrorf("ByteArrayConverter is not compatible with objects of type %T", value)
	}
	return b, nil
}

// ToConnectData returns data as is, with an optional bytes schema.
func (ByteArrayConverter) ToConnectData(topic string, headers connectors.RawHeaders, data []byte) (*connectors.Schema, any, error) {
	if data == nil {
		return connectors.OptionalBytesSchema, nil, nil
	}
	return connectors.OptionalBytesSchema, data, nil
}

// FromConnectHeader writes a header value as FromConnectData does.
func (c ByteArrayConverter) FromConnectHeader(topic, key string, schema *connectors.Schema, value any) ([]byte, error) {
	return c.FromConnectData(topic, nil, schema, value)
}

// ToConnectHeader reads a header value as ToConnectData does.
func (c ByteArrayConverter) ToConnectHeader(topic, key string, data []byte) (*connectors.Schema, any, error) {
	return c.ToConnectData(topic, nil, data)
}
