package datagen

import (
	"encoding/json"
	"fmt"
	"strings"
)

// parseAvro parses an Avro record schema whose types may carry Confluent's
// arg.properties hints (the avro-random-generator format that
// kafka-connect-datagen uses): options, range, regex, iteration, length,
// odds and keys. Supported Avro types: the primitives (boolean, int, long,
// float, double, bytes, string), records, enums, arrays, maps, unions of
// null with one other type, and long with logicalType timestamp-millis.
func parseAvro(text string) (*typeSpec, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	p := &avroParser{named: make(map[string]bool)}
	t, err := p.parse("", root, "")
	if err != nil {
		return nil, err
	}
	if t.kind != kindStruct {
		return nil, fmt.Errorf("%w: the top-level Avro type must be a record", ErrInvalidSchema)
	}
	return t, nil
}

type avroParser struct {
	named map[string]bool // full names of records and enums seen
}

// parse converts one Avro schema (a type name, an object or a union) found
// at path; namespace is the enclosing namespace.
func (p *avroParser) parse(path string, v any, namespace string) (*typeSpec, error) {
	switch x := v.(type) {
	case string:
		return p.primitive(path, x, nil, nil)
	case []any:
		return p.union(path, x, namespace)
	case map[string]any:
		return p.object(path, x, namespace)
	}
	return nil, schemaError(path, "not an Avro schema: %v", v)
}

func (p *avroParser) union(path string, branches []any, namespace string) (*typeSpec, error) {
	var other any
	nulls := 0
	for _, b := range branches {
		if s, ok := b.(string); ok && s == "null" {
			nulls++
			continue
		}
		if other != nil {
			return nil, schemaError(path, "unions are supported only between null and one other type")
		}
		other = b
	}
	if other == nil || nulls != 1 {
		return nil, schemaError(path, "unions are supported only between null and one other type")
	}
	t, err := p.parse(path, other, namespace)
	if err != nil {
		return nil, err
	}
	// avro-random-generator picks a union branch uniformly.
	t.optional, t.nullOdds = true, 0.5
	return t, nil
}

func (p *avroParser) object(path string, m map[string]any, namespace string) (*typeSpec, error) {
	props, _ := m["arg.properties"].(map[string]any)
	if _, ok := m["arg.properties"]; ok && props == nil {
		return nil, schemaError(path, "arg.properties must be an object")
	}
	typ := m["type"]
	switch tn := typ.(type) {
	case string:
		switch tn {
		case "record":
			return p.record(path, m, namespace)
		case "enum":
			return p.enum(path, m, props, namespace)
		case "array":
			items, err := p.parse(path, m["items"], namespace)
			if err != nil {
				return nil, err
			}
			t := &typeSpec{kind: kindArray, items: items}
			return t, applyCollectionProps(path, t, props)
		case "map":
			values, err := p.parse(path, m["values"], namespace)
			if err != nil {
				return nil, err
			}
			t := &typeSpec{kind: kindMap, items: values, keys: &typeSpec{kind: kindString}}
			return t, applyCollectionProps(path, t, props)
		case "fixed":
			return nil, schemaError(path, "Avro fixed is not supported")
		}
		logical, _ := m["logicalType"].(string)
		return p.primitive(path, tn, props, &logical)
	case map[string]any, []any:
		// {"type": {...}}: a wrapped schema; hints may sit on either level.
		t, err := p.parse(path, tn, namespace)
		if err != nil {
			return nil, err
		}
		if props != nil {
			if err := applyProps(path, t, props); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	return nil, schemaError(path, "Avro schema object without a type")
}

func (p *avroParser) record(path string, m map[string]any, namespace string) (*typeSpec, error) {
	name, _ := m["name"].(string)
	if name == "" {
		return nil, schemaError(path, "an Avro record needs a name")
	}
	if ns, ok := m["namespace"].(string); ok {
		namespace = ns
	}
	full := name
	if !strings.Contains(name, ".") && namespace != "" {
		full = namespace + "." + name
	} else if i := strings.LastIndexByte(name, '.'); i >= 0 {
		namespace = name[:i]
	}
	p.named[full] = true
	rawFields, ok := m["fields"].([]any)
	if !ok || len(rawFields) == 0 {
		return nil, schemaError(path, "an Avro record needs fields")
	}
	doc, _ := m["doc"].(string)
	t := &typeSpec{kind: kindStruct, name: full, doc: doc}
	seen := make(map[string]bool, len(rawFields))
	for i, rf := range rawFields {
		fm, ok := rf.(map[string]any)
		if !ok {
			return nil, schemaError(path, "field #%d is not an object", i+1)
		}
		fname, _ := fm["name"].(string)
		if fname == "" {
			return nil, schemaError(path, "field #%d has no name", i+1)
		}
		fpath := joinPath(path, fname)
		if seen[fname] {
			return nil, schemaError(fpath, "duplicate field name")
		}
		seen[fname] = true
		ft, err := p.parse(fpath, fm["type"], namespace)
		if err != nil {
			return nil, err
		}
		if fdoc, ok := fm["doc"].(string); ok && ft.doc == "" {
			ft.doc = fdoc
		}
		t.fields = append(t.fields, fieldSpec{name: fname, spec: ft})
	}
	return t, nil
}

func (p *avroParser) enum(path string, m map[string]any, props map[string]any, namespace string) (*typeSpec, error) {
	syms, _ := m["symbols"].([]any)
	if len(syms) == 0 {
		return nil, schemaError(path, "an Avro enum needs symbols")
	}
	t := &typeSpec{kind: kindString, options: syms}
	if props != nil {
		if err := applyProps(path, t, props); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// avroPrimitives maps Avro's primitive names to kinds.
var avroPrimitives = map[string]kind{
	"boolean": kindBoolean, "int": kindInt32, "long": kindInt64, "float": kindFloat32,
	"double": kindFloat64, "bytes": kindBytes, "string": kindString,
}

func (p *avroParser) primitive(path, name string, props map[string]any, logical *string) (*typeSpec, error) {
	k, ok := avroPrimitives[name]
	if !ok {
		if name == "null" {
			return nil, schemaError(path, "a field of type null is not supported")
		}
		if p.named[name] {
			return nil, schemaError(path, "references to named type %q are not supported; inline the definition", name)
		}
		return nil, schemaError(path, "unknown Avro type %q", name)
	}
	if logical != nil && *logical == "timestamp-millis" && k == kindInt64 {
		k = kindTimestamp
	}
	t := &typeSpec{kind: k}
	if props != nil {
		if err := applyProps(path, t, props); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// applyProps applies the arg.properties hints of a primitive or enum.
func applyProps(path string, t *typeSpec, props map[string]any) error {
	for key, v := range props {
		switch key {
		case "options":
			l, ok := v.([]any)
			if !ok {
				return schemaError(path, "arg.properties options must be a list (options files are not supported)")
			}
			t.options = l
		case "range":
			r, ok := v.(map[string]any)
			if !ok {
				return schemaError(path, "arg.properties range must be an object with min and/or max")
			}
			rs := &rangeSpec{}
			for _, b := range []struct {
				key string
				dst **json.Number
			}{{"min", &rs.min}, {"max", &rs.max}} {
				if x, ok := r[b.key]; ok {
					n, ok := x.(json.Number)
					if !ok {
						return schemaError(path, "arg.properties range %s must be a number", b.key)
					}
					*b.dst = &n
				}
			}
			t.rng = rs
		case "regex":
			s, ok := v.(string)
			if !ok {
				return schemaError(path, "arg.properties regex must be a string")
			}
			t.regex = &s
		case "iteration":
			m, ok := v.(map[string]any)
			if !ok {
				return schemaError(path, "arg.properties iteration must be an object")
			}
			it := &iterSpec{}
			for _, b := range []struct {
				key string
				dst **json.Number
			}{{"start", &it.start}, {"step", &it.step}, {"restart", &it.restart}} {
				if x, ok := m[b.key]; ok {
					n, ok := x.(json.Number)
					if !ok {
						return schemaError(path, "arg.properties iteration %s must be a number", b.key)
					}
					*b.dst = &n
				}
			}
			if it.start == nil {
				return schemaError(path, "arg.properties iteration needs a start")
			}
			t.iter = it
		case "length":
			l, err := lengthOf(v, false)
			if err != nil {
				return schemaError(path, "arg.properties %v", err)
			}
			t.length = l
		case "odds":
			n, ok := v.(json.Number)
			if !ok {
				return schemaError(path, "arg.properties odds must be a number")
			}
			f, err := n.Float64()
			if err != nil || f < 0 || f > 1 {
				return schemaError(path, "arg.properties odds must be between 0 and 1")
			}
			t.odds = &f
		}
		// Other hints of avro-random-generator are ignored, as it does.
	}
	return nil
}

// applyCollectionProps applies the hints of an array or map: length, and
// keys (the arg.properties of a map's string keys).
func applyCollectionProps(path string, t *typeSpec, props map[string]any) error {
	if props == nil {
		return nil
	}
	if v, ok := props["length"]; ok {
		l, err := lengthOf(v, false)
		if err != nil {
			return schemaError(path, "arg.properties %v", err)
		}
		t.length = l
	}
	if v, ok := props["keys"]; ok && t.kind == kindMap {
		km, ok := v.(map[string]any)
		if !ok {
			return schemaError(path, "arg.properties keys must be an object")
		}
		if err := applyProps(path, t.keys, km); err != nil {
			return err
		}
	}
	return nil
}
