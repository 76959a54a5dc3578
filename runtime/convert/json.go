package convert

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"conflux/configs"
	"conflux/connectors"
)

// JsonConverter configuration keys, with Kafka's names.
const (
	KeySchemasEnable          = "schemas.enable"
	KeySchemasCacheSize       = "schemas.cache.size"
	KeyDecimalFormat          = "decimal.format"
	KeyReplaceNullWithDefault = "replace.null.with.default"
)

// Values of decimal.format.
const (
	DecimalBase64  = "BASE64"
	DecimalNumeric = "NUMERIC"
)

// maxDepth bounds the nesting of JSON documents and schemas.
const maxDepth = 1000

// jsonConfigDef is the JsonConverter's configuration.
var jsonConfigDef = configs.NewDef(
	configs.Key{Name: KeySchemasEnable, Type: configs.TypeBoolean, Default: true, Importance: configs.High,
		Group: "Schemas", Width: configs.WidthShort, DisplayName: "Enable Schemas",
		Documentation: "Whether each message is an envelope {\"schema\":…,\"payload\":…} carrying the value's schema. " +
			"Without it, messages are plain JSON and values are read without schema."},
	configs.Key{Name: KeySchemasCacheSize, Type: configs.TypeInt, Default: 1000, Importance: configs.High,
		Group: "Schemas", Width: configs.WidthShort, DisplayName: "Schema Cache Size", Validator: configs.AtLeast(0),
		Documentation: "How many schemas are kept, in each direction, in their converted form."},
	configs.Key{Name: KeyDecimalFormat, Type: configs.TypeString, Default: DecimalBase64, Importance: configs.Low,
		Group: "Serialization", Width: configs.WidthMedium, DisplayName: "Decimal Format",
		Validator:     configs.ValidStringIgnoreCase(DecimalBase64, DecimalNumeric),
		Documentation: "How Decimal values are written: BASE64, the unscaled value's bytes in base64, or NUMERIC, a JSON number. Both are read."},
	configs.Key{Name: KeyReplaceNullWithDefault, Type: configs.TypeBoolean, Default: true, Importance: configs.Low,
		Group: "Serialization", Width: configs.WidthShort, DisplayName: "Replace null with default",
		Documentation: "Whether a null value whose schema has a default is written and read as that default."},
)

// JSONConverter is Kafka Connect's JsonConverter: Connect data as JSON,
// with the schema in an envelope {"schema":…,"payload":…} when
// schemas.enable is true (the default). It implements connectors.Converter
// and connectors.HeaderConverter.
//
// Create it with NewJSONConverter, which applies the defaults, and call
// Configure (or ConfigureHeader) once before use; after that every method
// is safe for concurrent use.
type JSONConverter struct {
	schemasEnabled bool
	decimalNumeric bool
	replaceNull    bool
	cacheSize      int

	// Write side: per schema pointer, its envelope prefix and plan.
	last   atomic.Pointer[encoded]
	encMu  sync.RWMutex
	encMap map[*connectors.Schema]*encoded

	// Read side: per schema JSON text, the schema; lastDec is the entry
	// used last, recognised by a byte comparison without parsing.
	decMu   sync.RWMutex
	decMap  map[string]*connectors.Schema
	lastDec atomic.Pointer[decoded]
}

// decoded is a schema read from its JSON text.
type decoded struct {
	text   string
	schema *connectors.Schema
}

// knownSchema reports how long the schema text at the start of data is if
// it is the text of the schema decoded last (0 if not): a complete JSON
// object cannot be a proper prefix of another JSON value, so a prefix match
// is the whole value.
func (c *JSONConverter) knownSchema(data []byte) (int, *connectors.Schema) {
	d := c.lastDec.Load()
	if d == nil || len(data) < len(d.text) || string(data[:len(d.text)]) != d.text {
		return 0, nil
	}
	return len(d.text), d.schema
}

// NewJSONConverter returns a JSONConverter with Kafka's defaults:
// schemas.enable=true, decimal.format=BASE64, replace.null.with.default=true
// and schemas.cache.size=1000.
func NewJSONConverter() *JSONConverter {
	return &JSONConverter{schemasEnabled: true, replaceNull: true, cacheSize: 1000}
}

// Configure applies the converter's settings (schemas.enable,
// schemas.cache.size, decimal.format, replace.null.with.default); others are
// ignored. isKey makes no difference to the JSON format. Errors are
// *configs.Error values.
func (c *JSONConverter) Configure(config map[string]string, isKey bool) error {
	v, err := jsonConfigDef.Parse(config)
	if err != nil {
		return fmt.Errorf("JsonConverter: %w", err)
	}
	c.schemasEnabled = v.Bool(KeySchemasEnable)
	c.cacheSize = v.Int(KeySchemasCacheSize)
	c.decimalNumeric = strings.EqualFold(v.String(KeyDecimalFormat), DecimalNumeric)
	c.replaceNull = v.Bool(KeyReplaceNullWithDefault)
	c.last.Store(nil)
	c.encMu.Lock()
	c.encMap = nil
	c.encMu.Unlock()
	c.decMu.Lock()
	c.decMap = nil
	c.decMu.Unlock()
	return nil
}

// ConfigureHeader configures the converter for header values.
func (c *JSONConverter) ConfigureHeader(config map[string]string) error {
	return c.Configure(config, false)
}

// FromConnectData writes value, described by schema, as JSON; see
// connectors.Converter. With schemas.enable the result is the envelope
// {"schema":…,"payload":…} (schema null when nil). A nil schema and value
// give nil. Values that do not fit the schema give a *connectors.DataError
// in Kafka's words. headers are not used.
func (c *JSONConverter) FromConnectData(topic string, headers *connectors.RawHeaders, schema *connectors.Schema, value any) ([]byte, error) {
	if schema == nil && value == nil {
		return nil, nil
	}
	st := getState(c)
	defer putState(st)
	b, err := st.appendData(st.buf[:0], schema, value)
	st.buf = b
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out, nil
}

// AppendConnectData writes what FromConnectData does after dst; see
// connectors.DataAppender.
func (c *JSONConverter) AppendConnectData(dst []byte, topic string, headers *connectors.RawHeaders, schema *connectors.Schema, value any) ([]byte, error) {
	if schema == nil && value == nil {
		return nil, nil
	}
	st := getState(c)
	defer putState(st)
	return st.appendData(dst, schema, value)
}

// appendData appends value as JSON, in the envelope with schemas.enable.
func (st *encodeState) appendData(b []byte, schema *connectors.Schema, value any) ([]byte, error) {
	c := st.c
	var err error
	if schema == nil {
		if c.schemasEnabled {
			b = append(b, `{"schema":null,"payload":`...)
		}
		b, err = st.appendSchemaless(b, value, 0)
	} else {
		var enc *encoded
		if enc, err = c.encodedSchema(schema); err != nil {
			return b, err
		}
		if c.schemasEnabled {
			b = append(b, enc.envelope...)
		}
		b, err = st.appendValue(b, enc.plan, value, 0)
	}
	if err == nil && c.schemasEnabled {
		b = append(b, '}')
	}
	return b, err
}

// FromConnectHeader writes a header value as FromConnectData does.
func (c *JSONConverter) FromConnectHeader(topic, key string, schema *connectors.Schema, value any) ([]byte, error) {
	return c.FromConnectData(topic, nil, schema, value)
}

// ToConnectHeader reads a header value as ToConnectData does.
func (c *JSONConverter) ToConnectHeader(topic, key string, data []byte) (*connectors.Schema, any, error) {
	return c.ToConnectData(topic, nil, data)
}

// encoded is what the writer derives from one schema.
type encoded struct {
	schema   *connectors.Schema
	envelope []byte // {"schema":<schema JSON>,"payload":
	plan     *plan
}

// encodedSchema returns the cached envelope and plan of s, building them on
// first use.
func (c *JSONConverter) encodedSchema(s *connectors.Schema) (*encoded, error) {
	if e := c.last.Load(); e != nil && e.schema == s {
		return e, nil
	}
	c.encMu.RLock()
	e := c.encMap[s]
	c.encMu.RUnlock()
	if e == nil {
		p, err := buildPlan(s, 0)
		if err != nil {
			return nil, err
		}
		st := getState(c)
		env := append([]byte(nil), `{"schema":`...)
		env, err = st.appendSchema(env, p, 0)
		putState(st)
		if err != nil {
			return nil, err
		}
		env = append(env, `,"payload":`...)
		e = &encoded{schema: s, envelope: env, plan: p}
		c.encMu.Lock()
		if c.encMap == nil || len(c.encMap) >= max(c.cacheSize, 1) {
			c.encMap = make(map[*connectors.Schema]*encoded)
		}
		c.encMap[s] = e
		c.encMu.Unlock()
	}
	c.last.Store(e)
	return e, nil
}

// cachedSchema returns the schema parsed earlier from the same JSON text.
func (c *JSONConverter) cachedSchema(text []byte) *connectors.Schema {
	c.decMu.RLock()
	s := c.decMap[string(text)]
	c.decMu.RUnlock()
	if s != nil {
		c.lastDec.Store(&decoded{text: string(text), schema: s})
	}
	return s
}

// cacheSchema remembers the schema parsed from text.
func (c *JSONConverter) cacheSchema(text []byte, s *connectors.Schema) {
	c.decMu.Lock()
	defer c.decMu.Unlock()
	if c.decMap == nil || len(c.decMap) >= max(c.cacheSize, 1) {
		c.decMap = make(map[string]*connectors.Schema)
	}
	c.decMap[string(text)] = s
	c.lastDec.Store(&decoded{text: string(text), schema: s})
}
