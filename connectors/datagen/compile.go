package datagen

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"conflux/connectors"
)

// Default sizes of the generators that take a length.
const (
	defaultStringLen = 8
	defaultMaxItems  = 5
)

// compiled is a schema ready to generate records: the Connect schema of the
// value and the generator of its Struct. It is immutable and may be shared
// by tasks.
type compiled struct {
	schema *connectors.Schema
	root   *structNode
}

// compileSchema turns a parsed schema into its Connect schema and
// generators.
func compileSchema(t *typeSpec) (*compiled, error) {
	s, n, err := compileSpec(t, "")
	if err != nil {
		return nil, err
	}
	root, ok := n.(*structNode)
	if !ok {
		return nil, fmt.Errorf("%w: the schema must describe a struct", ErrInvalidSchema)
	}
	return &compiled{schema: s, root: root}, nil
}

func compileSpec(t *typeSpec, path string) (*connectors.Schema, node, error) {
	if t.generators() > 1 {
		return nil, nil, schemaError(path, "set at most one of generator, options, range, regex and iteration")
	}
	if t.odds != nil && t.kind != kindBoolean {
		return nil, nil, schemaError(path, "odds applies to boolean fields only")
	}
	if t.odds != nil && (*t.odds < 0 || *t.odds > 1) {
		return nil, nil, schemaError(path, "odds must be between 0 and 1")
	}
	var (
		s   *connectors.Schema
		n   node
		err error
	)
	switch t.kind {
	case kindStruct, kindArray, kindMap:
		if t.generators() > 0 {
			return nil, nil, schemaError(path, "a %s takes no generator; set generators on its fields", t.kind)
		}
		s, n, err = compileComposite(t, path)
	default:
		s = primitiveSchema(t)
		n, err = compileGenerator(t, path)
	}
	if err != nil {
		return nil, nil, err
	}
	if t.optional && t.nullOdds > 0 {
		n = &nullNode{inner: n, odds: t.nullOdds}
	}
	return s, n, nil
}

func compileComposite(t *typeSpec, path string) (*connectors.Schema, node, error) {
	var b *connectors.SchemaBuilder
	var n node
	switch t.kind {
	case kindStruct:
		b = connectors.StructSchema().Name(t.name)
		fields := make([]node, len(t.fields))
		for i, f := range t.fields {
			fs, fn, err := compileSpec(f.spec, joinPath(path, f.name))
			if err != nil {
				return nil, nil, err
			}
			b.Field(f.name, fs)
			fields[i] = fn
		}
		n = &structNode{fields: fields}
	case kindArray:
		is, in, err := compileSpec(t.items, path+"[]")
		if err != nil {
			return nil, nil, err
		}
		lo, hi := lengthBounds(t, 0, defaultMaxItems)
		b, n = connectors.ArraySchema(is), &arrayNode{items: in, min: lo, max: hi}
	case kindMap:
		vs, vn, err := compileSpec(t.items, path+"{}")
		if err != nil {
			return nil, nil, err
		}
		_, kn, err := compileSpec(t.keys, path+"{key}")
		if err != nil {
			return nil, nil, err
		}
		lo, hi := lengthBounds(t, 0, defaultMaxItems)
		b, n = connectors.MapSchema(connectors.StringSchema, vs), &mapNode{keys: kn, values: vn, min: lo, max: hi}
	}
	if t.optional {
		b.Optional()
	}
	if t.doc != "" {
		b.Doc(t.doc)
	}
	s, err := b.Build()
	if err != nil {
		return nil, nil, schemaError(path, "%v", err)
	}
	if sn, ok := n.(*structNode); ok {
		sn.schema = s
	}
	return s, n, nil
}

// primitiveSchema returns the Connect schema of a primitive or timestamp,
// sharing the predefined schemas where possible.
func primitiveSchema(t *typeSpec) *connectors.Schema {
	var s *connectors.Schema
	switch t.kind {
	case kindString:
		s = pick(t.optional, connectors.StringSchema, connectors.OptionalStringSchema)
	case kindInt32:
		s = pick(t.optional, connectors.Int32Schema, connectors.OptionalInt32Schema)
	case kindInt64:
		s = pick(t.optional, connectors.Int64Schema, connectors.OptionalInt64Schema)
	case kindFloat32:
		s = pick(t.optional, connectors.Float32Schema, connectors.OptionalFloat32Schema)
	case kindFloat64:
		s = pick(t.optional, connectors.Float64Schema, connectors.OptionalFloat64Schema)
	case kindBoolean:
		s = pick(t.optional, connectors.BooleanSchema, connectors.OptionalBooleanSchema)
	case kindBytes:
		s = pick(t.optional, connectors.BytesSchema, connectors.OptionalBytesSchema)
	case kindTimestamp:
		b := connectors.TimestampSchema()
		if t.optional {
			b.Optional()
		}
		s = b.MustBuild()
	}
	if t.doc != "" {
		s = s.Copy()
		s.Doc = t.doc
	}
	return s
}

func pick(optional bool, required, opt *connectors.Schema) *connectors.Schema {
	if optional {
		return opt
	}
	return required
}

func lengthBounds(t *typeSpec, lo, hi int) (int, int) {
	if t.length != nil {
		return t.length[0], t.length[1]
	}
	return lo, hi
}

// compileGenerator builds the generator of a primitive or timestamp.
func compileGenerator(t *typeSpec, path string) (node, error) {
	switch {
	case t.options != nil:
		return compileOptions(t, path)
	case t.rng != nil:
		return compileRange(t, path)
	case t.regex != nil:
		return compileRegexGen(t, path)
	case t.iter != nil:
		return compileIteration(t, path)
	case t.template != nil:
		return compileTemplate(t, path)
	case t.now:
		switch t.kind {
		case kindTimestamp, kindInt64, kindString:
			return nowNode{kind: t.kind}, nil
		}
		return nil, schemaError(path, "the now generator needs a timestamp, int64 or string field")
	}
	switch t.kind {
	case kindString:
		lo, hi := lengthBounds(t, defaultStringLen, defaultStringLen)
		return &stringNode{min: lo, max: hi}, nil
	case kindBytes:
		lo, hi := lengthBounds(t, defaultStringLen, defaultStringLen)
		return &bytesNode{min: lo, max: hi}, nil
	case kindBoolean:
		odds := 0.5
		if t.odds != nil {
			odds = *t.odds
		}
		return boolNode{odds: odds}, nil
	case kindTimestamp:
		return nowNode{kind: kindTimestamp}, nil
	}
	return randomNode{kind: t.kind}, nil
}

func compileOptions(t *typeSpec, path string) (node, error) {
	if len(t.options) == 0 {
		return nil, schemaError(path, "options must not be empty")
	}
	vals := make([]any, len(t.options))
	for i, o := range t.options {
		if o == nil {
			if !t.optional {
				return nil, schemaError(path, "option #%d is null but the field is not optional", i+1)
			}
			continue
		}
		v, err := convertValue(o, t.kind)
		if err != nil {
			return nil, schemaError(path, "option #%d: %v", i+1, err)
		}
		vals[i] = v
	}
	if len(vals) == 1 {
		return constNode{vals[0]}, nil
	}
	return &pickNode{vals: vals}, nil
}

func compileRange(t *typeSpec, path string) (node, error) {
	r := t.rng
	switch t.kind {
	case kindInt32, kindInt64, kindTimestamp:
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch t.kind {
		case kindInt32:
			lo, hi = math.MinInt32, math.MaxInt32
		case kindTimestamp:
			lo, hi = 0, 253402300799999 // 9999-12-31T23:59:59.999Z
		}
		inclusive := r.inclusive || r.max == nil
		for _, b := range []struct {
			name string
			n    *json.Number
			dst  *int64
		}{{"min", r.min, &lo}, {"max", r.max, &hi}} {
			if b.n == nil {
				continue
			}
			v, err := b.n.Int64()
			if err != nil {
				return nil, schemaError(path, "range %s %s is not an integer", b.name, b.n)
			}
			if t.kind == kindInt32 && (v < math.MinInt32 || v > math.MaxInt32+1) {
				return nil, schemaError(path, "range %s %d does not fit an int32", b.name, v)
			}
			*b.dst = v
		}
		if hi < lo || (!inclusive && hi == lo) {
			return nil, schemaError(path, "range max must be greater than min")
		}
		span := uint64(hi) - uint64(lo)
		if inclusive {
			span++ // wraps to 0, the whole 64-bit range, for [MinInt64, MaxInt64]
		}
		if t.kind == kindInt32 && lo+int64(span)-1 > math.MaxInt32 {
			return nil, schemaError(path, "range max does not fit an int32")
		}
		return &intRangeNode{min: lo, span: span, kind: t.kind}, nil
	case kindFloat32, kindFloat64:
		lo, hi := 0.0, math.NaN()
		if r.min != nil {
			v, err := r.min.Float64()
			if err != nil {
				return nil, schemaError(path, "range min %s is not a number", r.min)
			}
			lo = v
		}
		if r.max != nil {
			v, err := r.max.Float64()
			if err != nil {
				return nil, schemaError(path, "range max %s is not a number", r.max)
			}
			hi = v
		} else {
			hi = lo + 1
		}
		if !(hi > lo) || math.IsInf(hi-lo, 0) {
			return nil, schemaError(path, "range max must be greater than min")
		}
		return &floatRangeNode{min: lo, width: hi - lo, kind: t.kind}, nil
	}
	return nil, schemaError(path, "range needs a number or timestamp field, not %s", t.kind)
}

func compileRegexGen(t *typeSpec, path string) (node, error) {
	if t.kind != kindString {
		return nil, schemaError(path, "regex needs a string field, not %s", t.kind)
	}
	re, err := compileRegex(*t.regex)
	if err != nil {
		return nil, schemaError(path, "bad regex: %v", err)
	}
	if ws := re.enumerate(); ws != nil {
		return weightedPick(ws), nil
	}
	return &regexNode{re: re}, nil
}

// weightedPick draws from an enumerated pattern: uniformly when every string
// is equally likely, else by cumulative probability.
func weightedPick(ws []weighted) node {
	vals := make([]any, len(ws))
	uniform := true
	for i, w := range ws {
		vals[i] = w.s
		if math.Abs(w.p-ws[0].p) > 1e-12 {
			uniform = false
		}
	}
	if len(vals) == 1 {
		return constNode{vals[0]}
	}
	if uniform {
		return &pickNode{vals: vals}
	}
	cum := make([]float64, len(ws))
	sum := 0.0
	for i, w := range ws {
		sum += w.p
		cum[i] = sum
	}
	cum[len(cum)-1] = math.Inf(1) // absorb rounding
	return &weightedNode{vals: vals, cum: cum}
}

func compileIteration(t *typeSpec, path string) (node, error) {
	it := t.iter
	switch t.kind {
	case kindInt32, kindInt64, kindTimestamp, kindString, kindFloat32, kindFloat64:
	default:
		return nil, schemaError(path, "iteration needs a number, timestamp or string field, not %s", t.kind)
	}
	num := func(n *json.Number, def string) json.Number {
		if n == nil {
			return json.Number(def)
		}
		return *n
	}
	start, step := num(it.start, "0"), num(it.step, "1")
	if it.step == nil && it.restart != nil {
		if r, err := it.restart.Float64(); err == nil {
			if s, err := start.Float64(); err == nil && r < s {
				step = "-1"
			}
		}
	}
	si, err1 := start.Int64()
	st, err2 := step.Int64()
	var ri int64
	var err3 error
	if it.restart != nil {
		ri, err3 = it.restart.Int64()
	}
	if err1 == nil && err2 == nil && err3 == nil && t.kind != kindFloat32 && t.kind != kindFloat64 {
		n := &intIterNode{start: si, step: st, kind: t.kind}
		if it.restart != nil {
			d := ri - si
			if st == 0 || d == 0 || (d > 0) != (st > 0) {
				return nil, schemaError(path, "iteration restart must lie beyond start in the direction of step")
			}
			n.period = (d + st - sign(st)) / st // ceil(d / st); d and st have the same sign
		}
		return n, nil
	}
	sf, err1 := start.Float64()
	stf, err2 := step.Float64()
	if err1 != nil || err2 != nil {
		return nil, schemaError(path, "iteration start and step must be numbers")
	}
	if t.kind.integral() {
		return nil, schemaError(path, "iteration start and step of a %s must be integers", t.kind)
	}
	n := &floatIterNode{start: sf, step: stf, kind: t.kind}
	if it.restart != nil {
		rf, err := it.restart.Float64()
		if err != nil || stf == 0 || (rf-sf)/stf <= 0 {
			return nil, schemaError(path, "iteration restart must lie beyond start in the direction of step")
		}
		n.period = int64(math.Ceil((rf - sf) / stf))
	}
	return n, nil
}

func sign(x int64) int64 {
	if x < 0 {
		return -1
	}
	return 1
}

func compileTemplate(t *typeSpec, path string) (node, error) {
	switch t.kind {
	case kindStruct, kindArray, kindMap:
		return nil, schemaError(path, "a template needs a primitive or timestamp field")
	}
	segs, err := parseTemplate(*t.template)
	if err != nil {
		return nil, schemaError(path, "%v", err)
	}
	switch {
	case len(segs) == 0:
		v, err := convertValue("", t.kind)
		if err != nil {
			return nil, schemaError(path, "%v", err)
		}
		return constNode{v}, nil
	case len(segs) == 1 && segs[0].kind == segLiteral:
		v, err := convertValue(segs[0].lit, t.kind)
		if err != nil {
			return nil, schemaError(path, "%v", err)
		}
		return constNode{v}, nil
	case len(segs) == 1 && segs[0].kind == segFunc:
		return &funcNode{seg: segs[0], kind: t.kind}, nil
	}
	return &templateNode{segs: segs, kind: t.kind}, nil
}

// convertValue converts a JSON option or a gofakeit result to the Go type
// of kind k.
func convertValue(v any, k kind) (any, error) {
	if n, ok := v.(json.Number); ok {
		switch k {
		case kindString:
			return n.String(), nil
		case kindFloat32, kindFloat64:
			f, err := n.Float64()
			if err != nil {
				return nil, err
			}
			return boxFloat(k, f), nil
		case kindInt32, kindInt64, kindTimestamp:
			i, err := n.Int64()
			if err != nil {
				return nil, fmt.Errorf("%s is not an integer", n)
			}
			if k == kindInt32 && int64(int32(i)) != i {
				return nil, fmt.Errorf("%d does not fit an int32", i)
			}
			return boxInt(k, i), nil
		}
		return nil, fmt.Errorf("a number cannot be a %s", k)
	}
	switch x := v.(type) {
	case string:
		return parseString(x, k)
	case bool:
		switch k {
		case kindBoolean:
			return x, nil
		case kindString:
			return strconv.FormatBool(x), nil
		}
	case time.Time:
		switch k {
		case kindTimestamp:
			return x.UTC(), nil
		case kindInt64:
			return x.UnixMilli(), nil
		case kindString:
			return x.Format(time.RFC3339Nano), nil
		}
	case int:
		return convertValue(json.Number(strconv.Itoa(x)), k)
	case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return convertValue(json.Number(string(appendAny(nil, x))), k)
	default:
		if k == kindString {
			return string(appendAny(nil, v)), nil
		}
	}
	return nil, fmt.Errorf("a %T cannot be a %s", v, k)
}

// parseString converts text to kind k.
func parseString(s string, k kind) (any, error) {
	switch k {
	case kindString:
		return s, nil
	case kindBytes:
		return []byte(s), nil
	case kindBoolean:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a boolean", s)
		}
		return b, nil
	case kindTimestamp:
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	n := json.Number(strings.TrimSpace(s))
	if _, err := strconv.ParseFloat(string(n), 64); err != nil {
		return nil, fmt.Errorf("%q is not a %s", s, k)
	}
	return convertValue(n, k)
}
