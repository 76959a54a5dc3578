package convert

import "conflux/connectors"

// decodeEnvelopeFast reads the common envelope, {"schema":S,"payload":P}
// in that order where S is the schema text decoded last, without building
// a tree for P when it is a struct: each member is converted as it is
// read. ok=false means the message is of another shape (or malformed) and
// the caller must take the general path, which reports errors in Kafka's
// words; the parser is then left at an unspecified position.
func (c *JSONConverter) decodeEnvelopeFast(p *jsonParser) (schema *connectors.Schema, value any, ok bool, err error) {
	p.skipSpace()
	if !p.consume('{') || !p.member("schema") {
		return nil, nil, false, nil
	}
	n, schema := c.knownSchema(p.data[p.pos:])
	if n == 0 {
		return nil, nil, false, nil
	}
	p.pos += n
	p.skipSpace()
	if !p.consume(',') || !p.member("payload") {
		return nil, nil, false, nil
	}
	p.shareStrings() // the payload's, not the schema's
	if schema.Type == connectors.TypeStruct && p.pos < len(p.data) && p.data[p.pos] == '{' && !schema.Optional {
		value, ok, err = c.streamStruct(p, schema, 0)
	} else {
		var v jsonValue
		if v, err = p.value(1); err != nil {
			return nil, nil, false, nil
		}
		value, err = c.toConnect(schema, &v, 0)
		ok = true
	}
	if !ok || err != nil {
		return nil, nil, ok, err
	}
	p.skipSpace()
	if !p.consume('}') {
		return nil, nil, false, nil
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, nil, false, nil
	}
	return schema, value, true, nil
}

// consume moves past c if it is next.
func (p *jsonParser) consume(c byte) bool {
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// member moves past `"name":` (with any whitespace) if it is next.
func (p *jsonParser) member(name string) bool {
	p.skipSpace()
	end := p.pos + len(name) + 2
	if end > len(p.data) || p.data[p.pos] != '"' || string(p.data[p.pos+1:end-1]) != name || p.data[end-1] != '"' {
		return false
	}
	p.pos = end
	p.skipSpace()
	if !p.consume(':') {
		return false
	}
	p.skipSpace()
	return true
}

// streamStruct converts the JSON object at p into a Struct of s member by
// member, with toConnect's rules for each field (missing and null fields
// included). Members that are not fields are skipped, as toConnect ignores
// them; a repeated member makes it give up (ok=false), since only the last
// occurrence counts and an earlier one must not raise an error.
func (c *JSONConverter) streamStruct(p *jsonParser, s *connectors.Schema, depth int) (value any, ok bool, err error) {
	if depth > maxDepth || len(s.Fields) > 64 {
		return nil, false, nil
	}
	p.pos++ // {
	st := p.structs.New(s)
	var seen uint64
	p.skipSpace()
	if !p.consume('}') {
		for {
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return nil, false, nil
			}
			name, plain := p.plainName()
			if !plain {
				return nil, false, nil
			}
			p.skipSpace()
			if !p.consume(':') {
				return nil, false, nil
			}
			p.skipSpace()
			i := fieldIndex(s, name)
			switch {
			case i < 0:
				if p.skip(depth+1) != nil {
					return nil, false, nil
				}
			case seen&(1<<i) != 0:
				return nil, false, nil
			default:
				seen |= 1 << i
				fs := s.Fields[i].Schema
				var v any
				if fs.Type == connectors.TypeStruct && p.pos < len(p.data) && p.data[p.pos] == '{' {
					if v, ok, err = c.streamStruct(p, fs, depth+1); !ok || err != nil {
						return nil, ok, err
					}
				} else {
					e, perr := p.value(depth + 1)
					if perr != nil {
						return nil, false, nil
					}
					if v, err = c.toConnect(fs, &e, depth+1); err != nil {
						return nil, true, err
					}
				}
				st.SetAt(i, v)
			}
			p.skipSpace()
			if p.consume('}') {
				break
			}
			if !p.consume(',') {
				return nil, false, nil
			}
		}
	}
	for i, f := range s.Fields {
		if seen&(1<<i) == 0 {
			v, err := c.toConnect(f.Schema, &missingValue, depth+1)
			if err != nil {
				return nil, true, err
			}
			st.SetAt(i, v)
		}
	}
	return st, true, nil
}

// plainName moves past a member name without escapes and returns its
// bytes; false means the name needs the general path.
func (p *jsonParser) plainName() ([]byte, bool) {
	start := p.pos + 1
	for end := start; end < len(p.data); end++ {
		switch c := p.data[end]; {
		case c == '"':
			p.pos = end + 1
			return p.data[start:end], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// fieldIndex finds the field named name without converting it to a string.
func fieldIndex(s *connectors.Schema, name []byte) int {
	for i := range s.Fields {
		if s.Fields[i].Name == string(name) {
			return i
		}
	}
	return -1
}

// decodeSchemalessFast reads a schemaless document that is a JSON object
// straight into a map, member by member, without building a tree first.
// ok=false means another shape or malformed input: the caller takes the
// general path, which reports errors in Kafka's words.
func (c *JSONConverter) decodeSchemalessFast(p *jsonParser) (value any, ok bool, err error) {
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '{' {
		return nil, false, nil
	}
	p.shareStrings()
	m, ok, err := c.streamObject(p, 0)
	if !ok || err != nil {
		return nil, ok, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, false, nil
	}
	return m, true, nil
}

// streamObject converts the JSON object at p into a map with schemaless's
// rules for each member; a repeated member keeps its last value, as the
// general path does.
func (c *JSONConverter) streamObject(p *jsonParser, depth int) (value map[string]any, ok bool, err error) {
	if depth > maxDepth {
		return nil, false, nil
	}
	p.pos++ // {
	out := make(map[string]any, 8)
	p.skipSpace()
	if p.consume('}') {
		return out, true, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, false, nil
		}
		name, perr := p.name()
		if perr != nil {
			return nil, false, nil
		}
		p.skipSpace()
		if !p.consume(':') {
			return nil, false, nil
		}
		p.skipSpace()
		var v any
		if p.pos < len(p.data) && p.data[p.pos] == '{' {
			if v, ok, err = c.streamObject(p, depth+1); !ok || err != nil {
				return nil, ok, err
			}
		} else {
			e, perr := p.value(depth + 1)
			if perr != nil {
				return nil, false, nil
			}
			if v, err = c.schemaless(&e, depth+1); err != nil {
				return nil, true, err
			}
		}
		out[name] = v
		p.skipSpace()
		if p.consume('}') {
			return out, true, nil
		}
		if !p.consume(',') {
			return nil, false, nil
		}
	}
}
