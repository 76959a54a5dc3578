package datagen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// parseSchemaText parses a schema given by schema.string or schema.filename:
// an Avro record schema (top-level "type": "record") with Confluent's
// arg.properties hints, or else Conflux's native format (see the package
// documentation). The result is always a struct spec.
func parseSchemaText(text string) (*typeSpec, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &probe); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %v", ErrInvalidSchema, err)
	}
	if raw, ok := probe["type"]; ok {
		var typ string
		if json.Unmarshal(raw, &typ) == nil && typ == "record" {
			return parseAvro(text)
		}
	}
	return parseNative(text)
}

// nativeSchema is the top level of the native format.
type nativeSchema struct {
	Name   string        `json:"name"`
	Type   string        `json:"type"`
	Doc    string        `json:"doc"`
	Fields []nativeField `json:"fields"`
}

// nativeField is one field of the native format.
type nativeField struct {
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	Doc       string          `json:"doc"`
	Optional  bool            `json:"optional"`
	NullOdds  *float64        `json:"null_odds"`
	Generator *string         `json:"generator"`
	Options   []any           `json:"options"`
	Range     *nativeRange    `json:"range"`
	Regex     *string         `json:"regex"`
	Iteration *nativeIter     `json:"iteration"`
	Odds      *float64        `json:"odds"`
	Length    json.RawMessage `json:"length"`
	Fields    []nativeField   `json:"fields"`
}

type nativeRange struct {
	Min *json.Number `json:"min"`
	Max *json.Number `json:"max"`
}

type nativeIter struct {
	Start   *json.Number `json:"start"`
	Step    *json.Number `json:"step"`
	Restart *json.Number `json:"restart"`
}

// nativeTypes maps the native format's type names to kinds.
var nativeTypes = map[string]kind{
	"string": kindString, "int32": kindInt32, "int": kindInt32, "int64": kindInt64, "long": kindInt64,
	"float32": kindFloat32, "float": kindFloat32, "float64": kindFloat64, "double": kindFloat64,
	"boolean": kindBoolean, "bool": kindBoolean, "bytes": kindBytes, "timestamp": kindTimestamp,
	"struct": kindStruct,
}

func parseNative(text string) (*typeSpec, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var s nativeSchema
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: unexpected data after the schema object", ErrInvalidSchema)
	}
	if s.Type != "" && s.Type != "struct" {
		return nil, fmt.Errorf("%w: the top-level type must be struct (or an Avro record), not %q", ErrInvalidSchema, s.Type)
	}
	if len(s.Fields) == 0 {
		return nil, fmt.Errorf("%w: the schema has no fields", ErrInvalidSchema)
	}
	fields, err := nativeFields("", s.Fields)
	if err != nil {
		return nil, err
	}
	return &typeSpec{kind: kindStruct, name: s.Name, doc: s.Doc, fields: fields}, nil
}

func nativeFields(parent string, in []nativeField) ([]fieldSpec, error) {
	out := make([]fieldSpec, 0, len(in))
	seen := make(map[string]bool, len(in))
	for i := range in {
		f := &in[i]
		if f.Name == "" {
			return nil, schemaError(parent, "field #%d has no name", i+1)
		}
		path := joinPath(parent, f.Name)
		if seen[f.Name] {
			return nil, schemaError(path, "duplicate field name")
		}
		seen[f.Name] = true
		spec, err := nativeField2Spec(path, f)
		if err != nil {
			return nil, err
		}
		out = append(out, fieldSpec{name: f.Name, spec: spec})
	}
	return out, nil
}

func nativeField2Spec(path string, f *nativeField) (*typeSpec, error) {
	if f.Type == "" {
		return nil, schemaError(path, "missing type")
	}
	k, ok := nativeTypes[f.Type]
	if !ok {
		return nil, schemaError(path, "unknown type %q (want string, int32, int64, float32, float64, boolean, bytes, timestamp or struct)", f.Type)
	}
	t := &typeSpec{kind: k, optional: f.Optional, doc: f.Doc, options: f.Options, regex: f.Regex, odds: f.Odds}
	if f.NullOdds != nil {
		if !f.Optional {
			return nil, schemaError(path, "null_odds needs \"optional\": true")
		}
		if *f.NullOdds < 0 || *f.NullOdds > 1 {
			return nil, schemaError(path, "null_odds must be between 0 and 1")
		}
		t.nullOdds = *f.NullOdds
	}
	if f.Range != nil {
		t.rng = &rangeSpec{min: f.Range.Min, max: f.Range.Max, inclusive: true}
	}
	if f.Iteration != nil {
		t.iter = &iterSpec{start: f.Iteration.Start, step: f.Iteration.Step, restart: f.Iteration.Restart}
	}
	if f.Generator != nil {
		switch g := *f.Generator; g {
		case "iteration":
			if t.iter != nil {
				return nil, schemaError(path, "both \"generator\": \"iteration\" and \"iteration\" given")
			}
			t.iter = &iterSpec{}
		case "now":
			t.now = true
		default:
			t.template = &g
		}
	}
	if len(f.Length) > 0 {
		l, err := parseLength(f.Length, true)
		if err != nil {
			return nil, schemaError(path, "%v", err)
		}
		t.length = l
	}
	if k == kindStruct {
		if len(f.Fields) == 0 {
			return nil, schemaError(path, "a struct needs fields")
		}
		fields, err := nativeFields(path, f.Fields)
		if err != nil {
			return nil, err
		}
		t.fields = fields
	} else if f.Fields != nil {
		return nil, schemaError(path, "only struct fields have fields")
	}
	return t, nil
}

// parseLength reads a length hint: a number, or {"min": a, "max": b}.
// inclusive says whether max is inclusive (native format) or exclusive
// (Avro's arg.properties).
func parseLength(raw json.RawMessage, inclusive bool) (*[2]int, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("bad length: %v", err)
	}
	return lengthOf(v, inclusive)
}

// lengthOf converts a decoded length hint.
func lengthOf(v any, inclusive bool) (*[2]int, error) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil || n < 0 {
			return nil, errors.New("length must be a non-negative integer")
		}
		return &[2]int{int(n), int(n)}, nil
	case map[string]any:
		lo, hi := int64(0), int64(-1)
		if m, ok := x["min"].(json.Number); ok {
			n, err := m.Int64()
			if err != nil || n < 0 {
				return nil, errors.New("length min must be a non-negative integer")
			}
			lo = n
		}
		m, ok := x["max"].(json.Number)
		if !ok {
			return nil, errors.New("length needs a max")
		}
		n, err := m.Int64()
		if err != nil {
			return nil, errors.New("length max must be an integer")
		}
		if !inclusive {
			n--
		}
		hi = n
		if hi < lo {
			return nil, errors.New("length max must not be below min")
		}
		return &[2]int{int(lo), int(hi)}, nil
	}
	return nil, errors.New("length must be a number or an object with min and max")
}
