package connectors

// Converter turns record keys and values into bytes for Kafka and back
// (Kafka's Converter). Converters are plugins of type converter: the
// runtime makes one instance for keys and one for values per task, from
// key.converter and value.converter.
//
// Configure is called once, before anything else. After it returns,
// FromConnectData and ToConnectData may be called from several goroutines
// at once.
type Converter interface {
	// Configure sets the converter up with its settings (the
	// key.converter.* or value.converter.* keys, prefix removed) and says
	// whether it converts keys.
	Configure(config map[string]string, isKey bool) error
	// FromConnectData serializes value, described by schema (nil for
	// schemaless data), for topic. It may add wire headers through headers
	// (never nil). A nil value with a nil schema gives nil bytes. Data that
	// cannot be serialized gives an ErrData error.
	FromConnectData(topic string, headers *RawHeaders, schema *Schema, value any) ([]byte, error)
	// ToConnectData deserializes bytes read from topic into a schema (nil
	// when the format carries none) and value. nil data is a null value
	// (a tombstone). Bytes that cannot be read give an ErrData error.
	ToConnectData(topic string, headers RawHeaders, data []byte) (*Schema, any, error)
}

// HeaderConverter turns header values into bytes and back (Kafka's
// HeaderConverter), from header.converter. The contract is Converter's, per
// header.
type HeaderConverter interface {
	// ConfigureHeader sets the converter up with its settings (the
	// header.converter.* keys, prefix removed).
	ConfigureHeader(config map[string]string) error
	// FromConnectHeader serializes the value of the header key.
	FromConnectHeader(topic, key string, schema *Schema, value any) ([]byte, error)
	// ToConnectHeader deserializes the value of the header key.
	ToConnectHeader(topic, key string, data []byte) (*Schema, any, error)
}

// DataAppender is a Converter that can write a value's bytes after dst
// instead of into memory of its own, so that the runtime can reuse the
// memory of records Kafka has acknowledged. AppendConnectData returns dst
// with FromConnectData's bytes appended, or nil where FromConnectData
// gives nil bytes (a null value); dst is never nil.
type DataAppender interface {
	AppendConnectData(dst []byte, topic string, headers *RawHeaders, schema *Schema, value any) ([]byte, error)
}
