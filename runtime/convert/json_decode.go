package convert

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"conflux/connectors"
)

// envelopeError is Kafka's message for a message that is not an envelope.
const envelopeError = `JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields.` +
	` If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.`

// ToConnectData reads JSON written by FromConnectData or by Kafka's
// JsonConverter; see connectors.Converter. With schemas.enable the message
// must be exactly an envelope {"schema":…,"payload":…}, as in Kafka;
// without it, the whole message is a schemaless value (integers read as
// int64, other numbers as float64, objects as map[string]any, arrays as
// []any). nil or empty data is a null value. Problems give a
// *connectors.DataError in Kafka's words where Kafka has them.
func (c *JSONConverter) ToConnectData(topic string, headers connectors.RawHeaders, data []byte) (*connectors.Schema, any, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	p := getParser(data, c.schemasEnabled)
	defer putParser(p)
	if c.schemasEnabled {
		if schema, v, ok, err := c.decodeEnvelopeFast(p); ok {
			return schema, v, err
		}
		p.reset()
		p.knownSchema = c.knownSchema
	} else {
		if v, ok, err := c.decodeSchemalessFast(p); ok {
			return nil, v, err
		}
		p.reset()
	}
	doc, err := p.document()
	if err != nil {
		return nil, nil, &connectors.DataError{
			Msg: "Converting byte[] to Kafka Connect data failed due to serialization error: " + err.Error(), Err: err}
	}
	if !c.schemasEnabled {
		v, err := c.toConnect(nil, &doc, 0)
		return nil, v, err
	}
	if doc.kind != jsonObject || !doc.isEnvelope() {
		return nil, nil, connectors.DataErrorf("%s", envelopeError)
	}
	sn, pn := doc.get("schema"), doc.get("payload")
	schema := p.schema // the last "schema" member, when recognised
	if schema == nil {
		if schema, err = c.schemaFromJSON(data, sn); err != nil {
			return nil, nil, err
		}
	}
	v, err := c.toConnect(schema, pn, 0)
	if err != nil {
		return nil, nil, err
	}
	return schema, v, nil
}

// schemaFromJSON returns the schema an envelope's "schema" describes,
// reusing the schema parsed earlier from identical text.
func (c *JSONConverter) schemaFromJSON(data []byte, n *jsonValue) (*connectors.Schema, error) {
	if n.kind == jsonNull {
		return nil, nil
	}
	text := data[n.start:n.end]
	if s := c.cachedSchema(text); s != nil {
		return s, nil
	}
	if n.kind == jsonRaw {
		tree, err := parseJSON(text)
		if err != nil {
			return nil, &connectors.DataError{
				Msg: "Converting byte[] to Kafka Connect data failed due to serialization error: " + err.Error(), Err: err}
		}
		n = &tree
	}
	s, err := c.asConnectSchema(n, 0)
	if err != nil {
		return nil, err
	}
	c.cacheSchema(text, s)
	return s, nil
}

// asConnectSchema converts a JSON schema object into a Schema.
func (c *JSONConverter) asConnectSchema(n *jsonValue, depth int) (*connectors.Schema, error) {
	if depth > maxDepth {
		return nil, &connectors.DataError{Msg: "Schema is nested too deeply", Err: errTooDeep}
	}
	if n.kind == jsonNull || n.kind == jsonMissing {
		return nil, nil
	}
	tn := n.get("type")
	if n.kind != jsonObject || tn.kind != jsonString {
		return nil, connectors.DataErrorf("Schema must contain 'type' field")
	}
	s := &connectors.Schema{}
	var err error
	switch tn.str {
	case "boolean":
		s.Type = connectors.TypeBoolean
	case "int8":
		s.Type = connectors.TypeInt8
	case "int16":
		s.Type = connectors.TypeInt16
	case "int32":
		s.Type = connectors.TypeInt32
	case "int64":
		s.Type = connectors.TypeInt64
	case "float":
		s.Type = connectors.TypeFloat32
	case "double":
		s.Type = connectors.TypeFloat64
	case "bytes":
		s.Type = connectors.TypeBytes
	case "string":
		s.Type = connectors.TypeString
	case "array":
		s.Type = connectors.TypeArray
		items := n.get("items")
		if items.kind == jsonMissing || items.kind == jsonNull {
			return nil, connectors.DataErrorf("Array schema did not specify the element type")
		}
		if s.Items, err = c.asConnectSchema(items, depth+1); err != nil {
			return nil, err
		}
	case "map":
		s.Type = connectors.TypeMap
		keys, values := n.get("keys"), n.get("values")
		if keys.kind == jsonMissing || keys.kind == jsonNull {
			return nil, connectors.DataErrorf("Map schema did not specify the key type")
		}
		if values.kind == jsonMissing || values.kind == jsonNull {
			return nil, connectors.DataErrorf("Map schema did not specify the value type")
		}
		if s.Keys, err = c.asConnectSchema(keys, depth+1); err != nil {
			return nil, err
		}
		if s.Values, err = c.asConnectSchema(values, depth+1); err != nil {
			return nil, err
		}
	case "struct":
		s.Type = connectors.TypeStruct
		fields := n.get("fields")
		if fields.kind != jsonArray {
			return nil, connectors.DataErrorf(`Struct schema's "fields" argument is not an array.`)
		}
		for i := range fields.elems {
			f := &fields.elems[i]
			name := f.get("field")
			if f.kind != jsonObject || name.kind != jsonString {
				return nil, connectors.DataErrorf("Struct schema's field name not specified properly")
			}
			if s.FieldIndex(name.str) >= 0 {
				return nil, connectors.DataErrorf("Cannot create field because of field name duplication %s", name.str)
			}
			fs, err := c.asConnectSchema(f, depth+1)
			if err != nil {
				return nil, err
			}
			s.Fields = append(s.Fields, connectors.Field{Name: name.str, Schema: fs})
		}
	default:
		return nil, connectors.DataErrorf("Unknown schema type: %s", tn.str)
	}
	if o := n.get("optional"); o.kind == jsonBool && o.b {
		s.Optional = true
	}
	if nm := n.get("name"); nm.kind == jsonString {
		s.Name = nm.str
	}
	if v := n.get("version"); v.kind == jsonNumber && v.isInt {
		if ver, err := strconv.ParseInt(v.str, 10, 32); err == nil {
			s.Version = int(ver)
		}
	}
	if d := n.get("doc"); d.kind == jsonString {
		s.Doc = d.str
	}
	if ps := n.get("parameters"); ps.kind == jsonObject {
		s.Parameters = make(map[string]string, len(ps.keys))
		for i, k := range ps.keys {
			if ps.elems[i].kind != jsonString {
				return nil, connectors.DataErrorf("Schema parameters must have string values.")
			}
			s.Parameters[k] = ps.elems[i].str
		}
	}
	if d := n.get("default"); d.kind != jsonMissing && d.kind != jsonNull {
		def, err := c.toConnect(s, d, depth+1)
		if err != nil {
			return nil, err
		}
		s.Default = def
	}
	return s, nil
}

// toConnect converts a JSON value into the Go value of schema (schemaless
// when schema is nil).
func (c *JSONConverter) toConnect(s *connectors.Schema, n *jsonValue, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &connectors.DataError{Msg: "Value is nested too deeply", Err: errTooDeep}
	}
	if s == nil {
		return c.schemaless(n, depth)
	}
	if n.kind == jsonNull || n.kind == jsonMissing {
		switch {
		case s.Default != nil && c.replaceNull:
			return s.Default, nil
		case s.Optional:
			return nil, nil
		}
		return nil, connectors.DataErrorf("Invalid null value for required %s field", s.Type)
	}
	switch logicalKind(s) {
	case decimalKind:
		scale, err := connectors.DecimalScale(s)
		if err != nil {
			return nil, err
		}
		switch n.kind {
		case jsonNumber:
			d, err := connectors.ParseDecimal(strings.Clone(n.str)) // n.str may share the input
			if err != nil {
				return nil, connectors.DataErrorf("Invalid decimal %s", n.str)
			}
			return d.Rescale(scale)
		case jsonString:
			raw, err := decodeBase64(n.str)
			if err != nil {
				return nil, &connectors.DataError{Msg: "Invalid bytes for Decimal field", Err: err}
			}
			return connectors.DecimalFromBytes(raw, scale), nil
		}
		return nil, connectors.DataErrorf("Invalid type for Decimal, underlying representation should be numeric or bytes but was %s", n.kind)
	case dateKind:
		days, ok := intOf(n, 32)
		if !ok {
			return nil, connectors.DataErrorf("Invalid type for Date, underlying representation should be integer but was %s", n.kind)
		}
		return connectors.DateFromEpochDays(int32(days)), nil
	case timeKind:
		ms, ok := intOf(n, 32)
		if !ok {
			return nil, connectors.DataErrorf("Invalid type for Time, underlying representation should be integer but was %s", n.kind)
		}
		return connectors.TimeFromMillisOfDay(int32(ms)), nil
	case timestampKind:
		ms, ok := intOf(n, 64)
		if !ok {
			return nil, connectors.DataErrorf("Invalid type for Timestamp, underlying representation should be integral but was %s", n.kind)
		}
		return timeFromMillis(ms), nil
	}
	switch s.Type {
	case connectors.TypeInt8, connectors.TypeInt16, connectors.TypeInt32, connectors.TypeInt64:
		bits := 64
		switch s.Type {
		case connectors.TypeInt8:
			bits = 8
		case connectors.TypeInt16:
			bits = 16
		case connectors.TypeInt32:
			bits = 32
		}
		x, ok := intOf(n, bits)
		if !ok {
			return nil, mismatch(s, n)
		}
		switch s.Type {
		case connectors.TypeInt8:
			return int8(x), nil
		case connectors.TypeInt16:
			return int16(x), nil
		case connectors.TypeInt32:
			return int32(x), nil
		}
		return x, nil
	case connectors.TypeFloat32, connectors.TypeFloat64:
		bits := 64
		if s.Type == connectors.TypeFloat32 {
			bits = 32
		}
		f, ok := floatOf(n, bits)
		if !ok {
			return nil, mismatch(s, n)
		}
		if bits == 32 {
			return float32(f), nil
		}
		return f, nil
	case connectors.TypeBoolean:
		if n.kind != jsonBool {
			return nil, mismatch(s, n)
		}
		return n.b, nil
	case connectors.TypeString:
		if n.kind != jsonString {
			return nil, mismatch(s, n)
		}
		return n.str, nil
	case connectors.TypeBytes:
		if n.kind != jsonString {
			return nil, mismatch(s, n)
		}
		raw, err := decodeBase64(n.str)
		if err != nil {
			return nil, &connectors.DataError{Msg: "Invalid bytes field", Err: err}
		}
		return raw, nil
	case connectors.TypeArray:
		if n.kind != jsonArray {
			return nil, mismatch(s, n)
		}
		out := make([]any, len(n.elems))
		for i := range n.elems {
			v, err := c.toConnect(s.Items, &n.elems[i], depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case connectors.TypeMap:
		return c.mapToConnect(s, n, depth)
	case connectors.TypeStruct:
		if n.kind != jsonObject {
			return nil, connectors.DataErrorf("Structs should be encoded as JSON objects, but found %s", n.kind)
		}
		st := connectors.NewStruct(s)
		for i, f := range s.Fields {
			v, err := c.toConnect(f.Schema, n.get(f.Name), depth+1)
			if err != nil {
				return nil, err
			}
			st.SetAt(i, v)
		}
		return st, nil
	}
	return nil, connectors.DataErrorf("Unknown schema type: %s", s.Type)
}

// mapToConnect reads a map: a JSON object when the keys are strings, else
// an array of [key, value] pairs.
func (c *JSONConverter) mapToConnect(s *connectors.Schema, n *jsonValue, depth int) (any, error) {
	if s.Keys.Type == connectors.TypeString {
		if n.kind != jsonObject {
			return nil, connectors.DataErrorf("Maps with string fields should be encoded as JSON objects, but found %s", n.kind)
		}
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			v, err := c.toConnect(s.Values, &n.elems[i], depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	switch s.Keys.Type {
	case connectors.TypeArray, connectors.TypeMap:
		// []any and maps cannot be Go map keys.
		return nil, connectors.DataErrorf("Maps with %s keys cannot be represented in Go", s.Keys.Type)
	case connectors.TypeBytes:
		if logicalKind(s.Keys) != decimalKind {
			return nil, connectors.DataErrorf("Maps with %s keys cannot be represented in Go", s.Keys.Type)
		}
	}
	if n.kind != jsonArray {
		return nil, connectors.DataErrorf("Maps with non-string fields should be encoded as JSON array of tuples, but found %s", n.kind)
	}
	out := make(map[any]any, len(n.elems))
	for i := range n.elems {
		e := &n.elems[i]
		if e.kind != jsonArray {
			return nil, connectors.DataErrorf("Found invalid map entry instead of array tuple: %s", e.kind)
		}
		if len(e.elems) != 2 {
			return nil, connectors.DataErrorf("Found invalid map entry, expected length 2 but found :%d", len(e.elems))
		}
		k, err := c.toConnect(s.Keys, &e.elems[0], depth+1)
		if err != nil {
			return nil, err
		}
		v, err := c.toConnect(s.Values, &e.elems[1], depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// schemaless converts a JSON value without schema.
func (c *JSONConverter) schemaless(n *jsonValue, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &connectors.DataError{Msg: "Value is nested too deeply", Err: errTooDeep}
	}
	switch n.kind {
	case jsonNull, jsonMissing:
		return nil, nil
	case jsonBool:
		return n.b, nil
	case jsonNumber:
		if n.isInt {
			if x, err := strconv.ParseInt(n.str, 10, 64); err == nil {
				return x, nil
			}
		}
		f, err := strconv.ParseFloat(n.str, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, connectors.DataErrorf("Invalid number %s", n.str)
		}
		return f, nil
	case jsonString:
		return n.str, nil
	case jsonArray:
		out := make([]any, len(n.elems))
		for i := range n.elems {
			v, err := c.schemaless(&n.elems[i], depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case jsonObject:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			v, err := c.schemaless(&n.elems[i], depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	return nil, connectors.DataErrorf("Unknown JSON value")
}

// mismatch reports a JSON value of the wrong kind for a schema.
func mismatch(s *connectors.Schema, n *jsonValue) error {
	if n.kind == jsonNumber {
		return connectors.DataErrorf("Invalid value %s for schema type %s", n.str, s.Type)
	}
	return connectors.DataErrorf("Invalid JSON %s for schema type %s", n.kind, s.Type)
}

// intOf returns an integral JSON number that fits in bits.
func intOf(n *jsonValue, bits int) (int64, bool) {
	if n.kind != jsonNumber || !n.isInt {
		return 0, false
	}
	x, err := strconv.ParseInt(n.str, 10, bits)
	return x, err == nil
}

// floatOf returns a JSON number, or one of the strings Jackson writes for
// NaN and infinities.
func floatOf(n *jsonValue, bits int) (float64, bool) {
	switch n.kind {
	case jsonNumber:
		f, err := strconv.ParseFloat(n.str, bits)
		return f, err == nil || errors.Is(err, strconv.ErrRange)
	case jsonString:
		switch n.str {
		case "NaN":
			return math.NaN(), true
		case "Infinity":
			return math.Inf(1), true
		case "-Infinity":
			return math.Inf(-1), true
		}
	}
	return 0, false
}

// decodeBase64 decodes standard base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	if len(s)%4 == 0 {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// timeFromMillis returns the UTC instant ms milliseconds after the epoch.
func timeFromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
