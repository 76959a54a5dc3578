package convert

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"conflux/connectors"
)

// jsonKind is the type of a parsed JSON value, named as Jackson's
// JsonNodeType in error messages.
type jsonKind uint8

const (
	jsonMissing jsonKind = iota
	jsonNull
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
	jsonRaw // an unparsed value, validated but kept as text (a lazily parsed envelope schema)
)

var jsonKindNames = [...]string{
	jsonMissing: "MISSING", jsonNull: "NULL", jsonBool: "BOOLEAN", jsonNumber: "NUMBER",
	jsonString: "STRING", jsonArray: "ARRAY", jsonObject: "OBJECT", jsonRaw: "RAW",
}

func (k jsonKind) String() string { return jsonKindNames[k] }

// jsonValue is a parsed JSON value. Objects keep their members in order;
// lookups take the last member of a name, as Jackson does.
type jsonValue struct {
	kind  jsonKind
	b     bool        // jsonBool
	str   string      // jsonString: the text; jsonNumber: the literal
	isInt bool        // jsonNumber: no fraction or exponent
	elems []jsonValue // jsonArray elements, jsonObject member values
	keys  []string    // jsonObject member names
	start int         // offsets of the value in the input
	end   int
}

// get returns the last member named key, or a missing value.
func (v *jsonValue) get(key string) *jsonValue {
	for i := len(v.keys) - 1; i >= 0; i-- {
		if v.keys[i] == key {
			return &v.elems[i]
		}
	}
	return &missingValue
}

var missingValue = jsonValue{kind: jsonMissing}

// isEnvelope reports whether an object's members are exactly "schema" and
// "payload" (each possibly repeated, as Jackson keeps the last), which is
// what Kafka requires of an envelope.
func (v *jsonValue) isEnvelope() bool {
	var schema, payload bool
	for _, k := range v.keys {
		switch k {
		case "schema":
			schema = true
		case "payload":
			payload = true
		default:
			return false
		}
	}
	return schema && payload
}

// parseJSON parses one JSON document (RFC 8259, with nothing but
// whitespace after it).
func parseJSON(data []byte) (jsonValue, error) {
	p := jsonParser{data: data}
	return p.document()
}

// document parses p.data as one JSON document.
func (p *jsonParser) document() (jsonValue, error) {
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return jsonValue{}, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return jsonValue{}, p.errorf("unexpected %s after the JSON value", p.describe())
	}
	return v, nil
}

// jsonParser parses one document at a time. A parser from getParser keeps
// its scratch space between documents: the member lists of objects and
// arrays are carved out of arenas that are reused, and object member names
// are interned, so parsing a stream of similar records allocates little
// more than the strings it returns. A tree parsed by a pooled parser is
// valid until the parser is put back.
type jsonParser struct {
	data       []byte
	pos        int
	lazySchema bool

	// knownSchema, if set, recognises the text of a schema parsed before
	// (see JSONConverter.knownSchema); schema is what it recognised.
	knownSchema func(data []byte) (int, *connectors.Schema)
	schema      *connectors.Schema

	pooled bool
	stackV []jsonValue // members of the objects and arrays being parsed
	stackK []string
	arenaV []jsonValue // member lists of finished objects and arrays
	arenaK []string
	names  map[string]string // interned member names

	// With share set, strings without escapes from shareFrom on are cut
	// from text, one copy of the input from there made at the first of
	// them, instead of being allocated one by one (see shareStrings).
	share     bool
	shareFrom int
	text      string

	// structs is where streamStruct carves Structs from, many to an
	// allocation; it is never reset, since nothing carved is reused.
	structs connectors.StructSlab
}

// maxInternedNames bounds the names one pooled parser remembers.
const maxInternedNames = 4096

var parserPool = sync.Pool{New: func() any { return &jsonParser{pooled: true, names: make(map[string]string)} }}

// getParser returns a pooled parser for data.
func getParser(data []byte, lazySchema bool) *jsonParser {
	p := parserPool.Get().(*jsonParser)
	p.data, p.pos, p.lazySchema = data, 0, lazySchema
	return p
}

// reset rewinds a pooled parser to the start of its input, dropping what it
// parsed so far.
func (p *jsonParser) reset() {
	clear(p.stackV)
	p.pos, p.stackV, p.stackK = 0, p.stackV[:0], p.stackK[:0]
	p.schema = nil
	p.share, p.text = false, ""
}

// putParser returns p to the pool; trees it parsed must not be used
// afterwards.
func putParser(p *jsonParser) {
	p.reset()
	clear(p.arenaV)
	clear(p.arenaK)
	p.data, p.arenaV, p.arenaK = nil, p.arenaV[:0], p.arenaK[:0]
	p.knownSchema = nil
	parserPool.Put(p)
}

// members turns the top of the member stack, from base, into a finished
// member list.
// (Arrays push values only, so the two stacks have their own bases.)
func (p *jsonParser) members(baseV, baseK int, withKeys bool) ([]jsonValue, []string) {
	start := len(p.arenaV)
	p.arenaV = append(p.arenaV, p.stackV[baseV:]...)
	elems := p.arenaV[start:len(p.arenaV):len(p.arenaV)]
	clear(p.stackV[baseV:])
	p.stackV = p.stackV[:baseV]
	if !withKeys {
		return elems, nil
	}
	start = len(p.arenaK)
	p.arenaK = append(p.arenaK, p.stackK[baseK:]...)
	keys := p.arenaK[start:len(p.arenaK):len(p.arenaK)]
	p.stackK = p.stackK[:baseK]
	return elems, keys
}

// name returns an object member name, interned by pooled parsers.
func (p *jsonParser) name() (string, error) {
	if !p.pooled {
		return p.string()
	}
	start := p.pos + 1
	end := start
	for end < len(p.data) && p.data[end] != '"' && p.data[end] != '\\' && p.data[end] >= 0x20 && p.data[end] < utf8.RuneSelf {
		end++
	}
	if end < len(p.data) && p.data[end] == '"' {
		if s, ok := p.names[string(p.data[start:end])]; ok {
			p.pos = end + 1
			return s, nil
		}
	}
	s, err := p.string()
	if err == nil && len(p.names) < maxInternedNames {
		s = strings.Clone(s) // not a substring of one document's text
		p.names[s] = s
	}
	return s, err
}

// shareStrings makes the strings parsed from the current position on
// substrings of one copy of the rest of the input, instead of one
// allocation each: a record's values are used and dropped together, so
// they may as well keep one block alive between them. The copy is made
// at the first string, so input without strings costs nothing.
func (p *jsonParser) shareStrings() {
	p.share, p.shareFrom, p.text = true, p.pos, ""
}

// plainString returns the string that is data[start:end], valid UTF-8
// without escapes: cut from the shared text when strings are shared.
func (p *jsonParser) plainString(start, end int) string {
	if !p.share || start < p.shareFrom {
		return string(p.data[start:end])
	}
	if p.text == "" {
		p.text = string(p.data[p.shareFrom:])
	}
	return p.text[start-p.shareFrom : end-p.shareFrom]
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%s at offset %d", fmt.Sprintf(format, args...), p.pos)
}

func (p *jsonParser) describe() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	return strconv.QuoteRune(rune(p.data[p.pos]))
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) literal(word string) bool {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return true
	}
	return false
}

// value parses the value at the current position.
func (p *jsonParser) value(depth int) (jsonValue, error) {
	if depth > maxDepth {
		return jsonValue{}, errTooDeep
	}
	start := p.pos
	if p.pos >= len(p.data) {
		return jsonValue{}, p.errorf("unexpected end of input")
	}
	var v jsonValue
	var err error
	switch c := p.data[p.pos]; {
	case c == '{':
		v, err = p.object(depth)
	case c == '[':
		v, err = p.array(depth)
	case c == '"':
		var s string
		s, err = p.string()
		v = jsonValue{kind: jsonString, str: s}
	case c == '-' || (c >= '0' && c <= '9'):
		v, err = p.number()
	case p.literal("true"):
		v = jsonValue{kind: jsonBool, b: true}
	case p.literal("false"):
		v = jsonValue{kind: jsonBool}
	case p.literal("null"):
		v = jsonValue{kind: jsonNull}
	default:
		return jsonValue{}, p.errorf("unexpected %s looking for a value", p.describe())
	}
	if err != nil {
		return jsonValue{}, err
	}
	v.start, v.end = start, p.pos
	return v, nil
}

func (p *jsonParser) object(depth int) (jsonValue, error) {
	v := jsonValue{kind: jsonObject}
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	baseV, baseK := len(p.stackV), len(p.stackK)
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return v, p.errorf("unexpected %s looking for an object member name", p.describe())
		}
		k, err := p.name()
		if err != nil {
			return v, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return v, p.errorf("unexpected %s after an object member name", p.describe())
		}
		p.pos++
		p.skipSpace()
		var e jsonValue
		if depth == 0 && k == "schema" {
			p.schema = nil
		}
		if depth == 0 && p.lazySchema && k == "schema" && p.pos < len(p.data) && p.data[p.pos] != 'n' {
			start := p.pos
			p.schema = nil // only the last "schema" member counts
			if p.knownSchema != nil {
				if n, known := p.knownSchema(p.data[start:]); n > 0 {
					p.pos += n
					p.schema = known
				}
			}
			if p.schema == nil {
				err = p.skip(depth + 1)
			}
			e = jsonValue{kind: jsonRaw, start: start, end: p.pos}
		} else {
			e, err = p.value(depth + 1)
		}
		if err != nil {
			return v, err
		}
		if p.pooled {
			p.stackV = append(p.stackV, e)
			p.stackK = append(p.stackK, k)
		} else {
			if v.keys == nil {
				v.keys = make([]string, 0, 4)
				v.elems = make([]jsonValue, 0, 4)
			}
			v.keys = append(v.keys, k)
			v.elems = append(v.elems, e)
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return v, p.errorf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			if p.pooled {
				v.elems, v.keys = p.members(baseV, baseK, true)
			}
			return v, nil
		default:
			return v, p.errorf("unexpected %s after an object member", p.describe())
		}
	}
}

func (p *jsonParser) array(depth int) (jsonValue, error) {
	v := jsonValue{kind: jsonArray}
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		v.elems = []jsonValue{}
		return v, nil
	}
	base := len(p.stackV)
	for {
		p.skipSpace()
		e, err := p.value(depth + 1)
		if err != nil {
			return v, err
		}
		if p.pooled {
			p.stackV = append(p.stackV, e)
		} else {
			if v.elems == nil {
				v.elems = make([]jsonValue, 0, 4)
			}
			v.elems = append(v.elems, e)
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return v, p.errorf("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			if p.pooled {
				v.elems, _ = p.members(base, 0, false)
			}
			return v, nil
		default:
			return v, p.errorf("unexpected %s after an array element", p.describe())
		}
	}
}

// number parses a number.
func (p *jsonParser) number() (jsonValue, error) {
	start := p.pos
	isInt, err := p.skipNumber()
	if err != nil {
		return jsonValue{}, err
	}
	// The literal is only ever parsed, never kept, so it may share the
	// input's bytes, which nobody modifies while the document is in use.
	lit := p.data[start:p.pos]
	return jsonValue{kind: jsonNumber, str: unsafe.String(&lit[0], len(lit)), isInt: isInt}, nil
}

// skipNumber moves past a number with JSON's grammar,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and reports whether it is
// an integer literal.
func (p *jsonParser) skipNumber() (bool, error) {
	isInt := true
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return false, p.errorf("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		isInt = false
		if digits() == 0 {
			return false, p.errorf("invalid number")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		isInt = false
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return false, p.errorf("invalid number")
		}
	}
	return isInt, nil
}

var errBadEscape = errors.New("invalid escape in string")

// string parses a string at the current position (which holds '"').
func (p *jsonParser) string() (string, error) {
	p.pos++
	start := p.pos
	// Fast path: no escapes, valid UTF-8, no control characters.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			end := p.pos
			p.pos++
			s := p.data[start:end]
			if utf8.Valid(s) {
				return p.plainString(start, end), nil
			}
			return string(toValidUTF8(s)), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errorf("control character in string")
		}
		p.pos++
	}
	buf := append([]byte(nil), p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(toValidUTF8(buf)), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.data) {
			break
		}
		switch e := p.data[p.pos]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4(p.pos + 1)
			if !ok {
				return "", p.errorf("%v", errBadEscape)
			}
			p.pos += 4
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(-1), false
				if p.pos+2 < len(p.data) && p.data[p.pos+1] == '\\' && p.data[p.pos+2] == 'u' {
					r2, ok2 = p.hex4(p.pos + 3)
				}
				if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
					r = dec
					p.pos += 6
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.errorf("%v", errBadEscape)
		}
		p.pos++
	}
	return "", p.errorf("unexpected end of input in a string")
}

// hex4 decodes four hex digits at i.
func (p *jsonParser) hex4(i int) (rune, bool) {
	if i+4 > len(p.data) {
		return 0, false
	}
	var r rune
	for _, c := range p.data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// toValidUTF8 replaces each invalid byte with U+FFFD.
func toValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// skip validates the value at the current position and moves past it
// without building it.
func (p *jsonParser) skip(depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	if p.pos >= len(p.data) {
		return p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{' || c == '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		p.pos++
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == closing {
			p.pos++
			return nil
		}
		for {
			p.skipSpace()
			if c == '{' {
				if p.pos >= len(p.data) || p.data[p.pos] != '"' {
					return p.errorf("unexpected %s looking for an object member name", p.describe())
				}
				if err := p.skipString(); err != nil {
					return err
				}
				p.skipSpace()
				if p.pos >= len(p.data) || p.data[p.pos] != ':' {
					return p.errorf("unexpected %s after an object member name", p.describe())
				}
				p.pos++
				p.skipSpace()
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.skipSpace()
			if p.pos >= len(p.data) {
				return p.errorf("unexpected end of input")
			}
			switch p.data[p.pos] {
			case ',':
				p.pos++
			case closing:
				p.pos++
				return nil
			default:
				return p.errorf("unexpected %s after a value", p.describe())
			}
		}
	case c == '"':
		return p.skipString()
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := p.skipNumber()
		return err
	case p.literal("true"), p.literal("false"), p.literal("null"):
		return nil
	}
	return p.errorf("unexpected %s looking for a value", p.describe())
}

// skipString validates the string at the current position and moves past
// it.
func (p *jsonParser) skipString() error {
	p.pos++
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return nil
		case c < 0x20:
			return p.errorf("control character in string")
		case c == '\\':
			p.pos++
			if p.pos >= len(p.data) {
				return p.errorf("unexpected end of input in a string")
			}
			switch p.data[p.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if _, ok := p.hex4(p.pos + 1); !ok {
					return p.errorf("%v", errBadEscape)
				}
				p.pos += 4
			default:
				return p.errorf("%v", errBadEscape)
			}
		}
		p.pos++
	}
	return p.errorf("unexpected end of input in a string")
}
