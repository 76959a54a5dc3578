package convert

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"conflux/connectors"
)

// logical kinds of a plan.
const (
	plainKind = iota
	decimalKind
	dateKind
	timeKind
	timestampKind
)

// plan is what the writer precomputes for a schema: its logical kind, and
// for structs each field's JSON name with the separator before it.
type plan struct {
	s      *connectors.Schema
	kind   uint8
	scale  int32
	fields []fieldPlan
	items  *plan // array elements
	keys   *plan // map keys
	values *plan // map values
}

type fieldPlan struct {
	prefix []byte // {"name": for the first field, ,"name": for the others
	plan   *plan
}

// logicalKind returns the logical type of s, when its name and type match
// one of Kafka Connect's.
func logicalKind(s *connectors.Schema) uint8 {
	switch {
	case s.Name == "":
		return plainKind
	case s.Name == connectors.DecimalName && s.Type == connectors.TypeBytes:
		return decimalKind
	case s.Name == connectors.DateName && s.Type == connectors.TypeInt32:
		return dateKind
	case s.Name == connectors.TimeName && s.Type == connectors.TypeInt32:
		return timeKind
	case s.Name == connectors.TimestampName && s.Type == connectors.TypeInt64:
		return timestampKind
	}
	return plainKind
}

// buildPlan derives the plan of s.
func buildPlan(s *connectors.Schema, depth int) (*plan, error) {
	if depth > maxDepth {
		return nil, &connectors.DataError{Msg: "Schema is nested too deeply", Err: errTooDeep}
	}
	if !s.Type.Valid() {
		return nil, connectors.DataErrorf("Unknown schema type: %s", s.Type)
	}
	p := &plan{s: s, kind: logicalKind(s)}
	var err error
	switch s.Type {
	case connectors.TypeArray:
		if s.Items == nil {
			return nil, connectors.DataErrorf("Array schema did not specify the element type")
		}
		p.items, err = buildPlan(s.Items, depth+1)
	case connectors.TypeMap:
		if s.Keys == nil || s.Values == nil {
			return nil, connectors.DataErrorf("Map schema did not specify the key and value types")
		}
		if p.keys, err = buildPlan(s.Keys, depth+1); err == nil {
			p.values, err = buildPlan(s.Values, depth+1)
		}
	case connectors.TypeStruct:
		p.fields = make([]fieldPlan, len(s.Fields))
		for i, f := range s.Fields {
			prefix := []byte{','}
			if i == 0 {
				prefix[0] = '{'
			}
			prefix = appendString(prefix, f.Name)
			prefix = append(prefix, ':')
			fp, ferr := buildPlan(f.Schema, depth+1)
			if ferr != nil {
				return nil, ferr
			}
			p.fields[i] = fieldPlan{prefix: prefix, plan: fp}
		}
	}
	if err != nil {
		return nil, err
	}
	if p.kind == decimalKind {
		if p.scale, err = connectors.DecimalScale(s); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// encodeState is the per-call scratch space of the writer, pooled.
type encodeState struct {
	c    *JSONConverter
	buf  []byte
	keys []string
}

var statePool = sync.Pool{New: func() any { return &encodeState{buf: make([]byte, 0, 1024)} }}

func getState(c *JSONConverter) *encodeState {
	st := statePool.Get().(*encodeState)
	st.c = c
	return st
}

func putState(st *encodeState) {
	if cap(st.buf) > 1<<16 {
		return // let oversized buffers go
	}
	st.c = nil
	st.keys = st.keys[:0]
	statePool.Put(st)
}

// jsonTypeNames are the JSON converter's type names.
var jsonTypeNames = [...]string{
	connectors.TypeInt8: "int8", connectors.TypeInt16: "int16", connectors.TypeInt32: "int32",
	connectors.TypeInt64: "int64", connectors.TypeFloat32: "float", connectors.TypeFloat64: "double",
	connectors.TypeBoolean: "boolean", connectors.TypeString: "string", connectors.TypeBytes: "bytes",
	connectors.TypeArray: "array", connectors.TypeMap: "map", connectors.TypeStruct: "struct",
}

// appendSchema appends the JSON form of p's schema, in Kafka's key order:
// type; items, keys/values or fields; optional; name; version; doc;
// parameters; default.
func (st *encodeState) appendSchema(b []byte, p *plan, depth int) ([]byte, error) {
	return st.appendSchemaField(b, p, "", false, depth)
}

func (st *encodeState) appendSchemaField(b []byte, p *plan, field string, isField bool, depth int) ([]byte, error) {
	s := p.s
	var err error
	b = append(b, `{"type":"`...)
	b = append(b, jsonTypeNames[s.Type]...)
	b = append(b, '"')
	switch s.Type {
	case connectors.TypeArray:
		b = append(b, `,"items":`...)
		if b, err = st.appendSchema(b, p.items, depth+1); err != nil {
			return b, err
		}
	case connectors.TypeMap:
		b = append(b, `,"keys":`...)
		if b, err = st.appendSchema(b, p.keys, depth+1); err != nil {
			return b, err
		}
		b = append(b, `,"values":`...)
		if b, err = st.appendSchema(b, p.values, depth+1); err != nil {
			return b, err
		}
	case connectors.TypeStruct:
		b = append(b, `,"fields":[`...)
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = st.appendSchemaField(b, p.fields[i].plan, f.Name, true, depth+1); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if s.Optional {
		b = append(b, `,"optional":true`...)
	} else {
		b = append(b, `,"optional":false`...)
	}
	if s.Name != "" {
		b = append(b, `,"name":`...)
		b = appendString(b, s.Name)
	}
	if s.Version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(s.Version), 10)
	}
	if s.Doc != "" {
		b = append(b, `,"doc":`...)
		b = appendString(b, s.Doc)
	}
	if len(s.Parameters) > 0 {
		b = append(b, `,"parameters":{`...)
		keys := make([]string, 0, len(s.Parameters))
		for k := range s.Parameters {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, s.Parameters[k])
		}
		b = append(b, '}')
	}
	if s.Default != nil {
		b = append(b, `,"default":`...)
		if b, err = st.appendValue(b, p, s.Default, depth+1); err != nil {
			return b, err
		}
	}
	if isField {
		b = append(b, `,"field":`...)
		b = appendString(b, field)
	}
	return append(b, '}'), nil
}

// appendValue appends value as the JSON payload of p's schema.
func (st *encodeState) appendValue(b []byte, p *plan, value any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, &connectors.DataError{Msg: "Value is nested too deeply", Err: errTooDeep}
	}
	s := p.s
	if value == nil {
		switch {
		case s.Default != nil && st.c.replaceNull:
			value = s.Default
		case s.Optional:
			return append(b, "null"...), nil
		default:
			return b, connectors.DataErrorf("Conversion error: null value for field that is required and has no default value")
		}
	}
	switch p.kind {
	case decimalKind:
		d, ok := value.(connectors.Decimal)
		if !ok {
			return b, connectors.DataErrorf("Invalid type for Decimal, expected connectors.Decimal but was %T", value)
		}
		if d.Scale != p.scale {
			return b, connectors.DataErrorf("Decimal has mismatching scale value for given Decimal schema")
		}
		if st.c.decimalNumeric {
			return append(b, d.String()...), nil
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, d.UnscaledBytes())
		return append(b, '"'), nil
	case dateKind, timeKind, timestampKind:
		t, ok := value.(time.Time)
		if !ok {
			return b, connectors.DataErrorf("Invalid type for %s, expected time.Time but was %T", logicalNames[p.kind], value)
		}
		switch p.kind {
		case dateKind:
			return strconv.AppendInt(b, int64(connectors.EpochDays(t)), 10), nil
		case timeKind:
			return strconv.AppendInt(b, int64(connectors.MillisOfDay(t)), 10), nil
		}
		return strconv.AppendInt(b, t.UnixMilli(), 10), nil
	}
	switch s.Type {
	case connectors.TypeInt8:
		if x, ok := value.(int8); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case connectors.TypeInt16:
		if x, ok := value.(int16); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case connectors.TypeInt32:
		if x, ok := value.(int32); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case connectors.TypeInt64:
		if x, ok := value.(int64); ok {
			return strconv.AppendInt(b, x, 10), nil
		}
	case connectors.TypeFloat32:
		if x, ok := value.(float32); ok {
			return appendFloat(b, float64(x), 32), nil
		}
	case connectors.TypeFloat64:
		if x, ok := value.(float64); ok {
			return appendFloat(b, x, 64), nil
		}
	case connectors.TypeBoolean:
		if x, ok := value.(bool); ok {
			return strconv.AppendBool(b, x), nil
		}
	case connectors.TypeString:
		if x, ok := value.(string); ok {
			return appendString(b, x), nil
		}
	case connectors.TypeBytes:
		if x, ok := value.([]byte); ok {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, x)
			return append(b, '"'), nil
		}
	case connectors.TypeArray:
		if x, ok := value.([]any); ok {
			b = append(b, '[')
			var err error
			for i, e := range x {
				if i > 0 {
					b = append(b, ',')
				}
				if b, err = st.appendValue(b, p.items, e, depth+1); err != nil {
					return b, err
				}
			}
			return append(b, ']'), nil
		}
	case connectors.TypeMap:
		switch x := value.(type) {
		case map[string]any:
			if s.Keys.Type == connectors.TypeString {
				return st.appendStringMap(b, x, p.values, depth)
			}
		case map[any]any:
			if s.Keys.Type == connectors.TypeString {
				return st.appendAnyMapAsObject(b, x, p.keys, p.values, depth)
			}
			return st.appendMapAsPairs(b, x, p.keys, p.values, depth)
		}
	case connectors.TypeStruct:
		if x, ok := value.(*connectors.Struct); ok {
			if xs := x.Schema(); xs != s && !xs.Equal(s) {
				return b, connectors.DataErrorf("Mismatching schema.")
			}
			if len(p.fields) == 0 {
				return append(b, "{}"...), nil
			}
			var err error
			for i := range p.fields {
				b = append(b, p.fields[i].prefix...)
				if b, err = st.appendValue(b, p.fields[i].plan, x.At(i), depth+1); err != nil {
					return b, err
				}
			}
			return append(b, '}'), nil
		}
	}
	return b, connectors.DataErrorf("Invalid type for %s: %T", s.Type, value)
}

var logicalNames = [...]string{decimalKind: "Decimal", dateKind: "Date", timeKind: "Time", timestampKind: "Timestamp"}

// appendStringMap appends a map as a JSON object with sorted keys, so that
// equal maps give equal bytes (offsets topic keys rely on it). A nil plan
// writes the values schemaless.
func (st *encodeState) appendStringMap(b []byte, m map[string]any, values *plan, depth int) ([]byte, error) {
	start := len(st.keys)
	for k := range m {
		st.keys = append(st.keys, k)
	}
	keys := st.keys[start:]
	slices.Sort(keys)
	defer func() { st.keys = st.keys[:start] }()
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if values == nil {
			b, err = st.appendSchemaless(b, m[k], depth+1)
		} else {
			b, err = st.appendValue(b, values, m[k], depth+1)
		}
		if err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendAnyMapAsObject appends a map[any]any whose keys are all strings as
// a JSON object with sorted keys.
func (st *encodeState) appendAnyMapAsObject(b []byte, m map[any]any, keys, values *plan, depth int) ([]byte, error) {
	sm := make(map[string]any, len(m))
	for k, v := range m {
		ks, ok := k.(string)
		if !ok {
			if keys != nil {
				return b, connectors.DataErrorf("Invalid type for %s: %T", keys.s.Type, k)
			}
			return b, connectors.DataErrorf("Map key %T is not a string", k)
		}
		sm[ks] = v
	}
	return st.appendStringMap(b, sm, values, depth)
}

// appendMapAsPairs appends a map as a JSON array of [key,value] pairs,
// sorted by the keys' JSON so that equal maps give equal bytes. Nil plans
// write schemaless.
func (st *encodeState) appendMapAsPairs(b []byte, m map[any]any, keys, values *plan, depth int) ([]byte, error) {
	type pair struct{ key, both []byte }
	pairs := make([]pair, 0, len(m))
	for k, v := range m {
		var kb, vb []byte
		var err error
		if keys == nil {
			kb, err = st.appendSchemaless(nil, k, depth+1)
		} else {
			kb, err = st.appendValue(nil, keys, k, depth+1)
		}
		if err != nil {
			return b, err
		}
		both := append(append([]byte{'['}, kb...), ',')
		if values == nil {
			vb, err = st.appendSchemaless(both, v, depth+1)
		} else {
			vb, err = st.appendValue(both, values, v, depth+1)
		}
		if err != nil {
			return b, err
		}
		pairs = append(pairs, pair{key: kb, both: append(vb, ']')})
	}
	slices.SortFunc(pairs, func(x, y pair) int {
		if c := slices.Compare(x.key, y.key); c != 0 {
			return c
		}
		return slices.Compare(x.both, y.both)
	})
	b = append(b, '[')
	for i, p := range pairs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p.both...)
	}
	return append(b, ']'), nil
}

// appendSchemaless appends a value that has no schema, choosing the JSON
// form from its Go type.
func (st *encodeState) appendSchemaless(b []byte, value any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, &connectors.DataError{Msg: "Value is nested too deeply", Err: errTooDeep}
	}
	switch x := value.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case float32:
		return appendFloat(b, float64(x), 32), nil
	case float64:
		return appendFloat(b, x, 64), nil
	case string:
		return appendString(b, x), nil
	case []byte:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, x)
		return append(b, '"'), nil
	case []any:
		b = append(b, '[')
		var err error
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = st.appendSchemaless(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		return append(b, ']'), nil
	case map[string]any:
		return st.appendStringMap(b, x, nil, depth)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = v
		}
		return st.appendStringMap(b, m, nil, depth)
	case map[any]any:
		for k := range x {
			if _, ok := k.(string); !ok {
				return st.appendMapAsPairs(b, x, nil, nil, depth)
			}
		}
		return st.appendAnyMapAsObject(b, x, nil, nil, depth)
	case *connectors.Struct:
		p, err := buildPlan(x.Schema(), depth)
		if err != nil {
			return b, err
		}
		return st.appendValue(b, p, x, depth)
	}
	return b, connectors.DataErrorf("Go type %T does not have corresponding schema type.", value)
}

// appendFloat writes a float the way JSON readers expect: shortest
// round-trip digits, exponent form only for very large or small values, a
// ".0" on integral values so they read back as floats, and the strings
// "NaN", "Infinity" and "-Infinity" (as Jackson writes them) for values
// JSON numbers cannot express.
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// Shorten e-07 to e-7, as encoding/json and Java do.
		if n := len(b); n-start >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b
	}
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, '.', '0')
}

// safeASCII marks the ASCII bytes that need no escaping in a JSON string.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Control characters are escaped
// (\n, \r, \t, \b, \f or \u00XX), other characters are written as UTF-8,
// and invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
