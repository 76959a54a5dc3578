package datagen

import (
	"fmt"
	"strconv"
	"time"

	"conflux/connectors"
)

// node generates one Connect value of the Go type its schema calls for. A
// node reports failures through genCtx.fail and then returns any value of
// the right type (or nil); the caller checks genCtx.err after the record.
//
// Nodes are built once per schema and are immutable, so one compiled
// schema may serve several tasks; all per-record state lives in genCtx.
type node interface {
	gen(g *genCtx) any
}

// constNode always returns the same value.
type constNode struct{ v any }

func (n constNode) gen(*genCtx) any { return n.v }

// pickNode draws uniformly from values boxed once, so a draw allocates
// nothing.
type pickNode struct{ vals []any }

func (n *pickNode) gen(g *genCtx) any { return n.vals[g.r.IntN(len(n.vals))] }

// weightedNode draws from values with unequal probabilities; cum holds the
// cumulative probabilities, the last being 1.
type weightedNode struct {
	vals []any
	cum  []float64
}

func (n *weightedNode) gen(g *genCtx) any {
	u := g.r.Float64()
	lo, hi := 0, len(n.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if u < n.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return n.vals[lo]
}

// intRangeNode draws integers in [min, min+span); span 0 means the whole
// 64-bit range.
type intRangeNode struct {
	min  int64
	span uint64
	kind kind
}

func (n *intRangeNode) gen(g *genCtx) any {
	var v int64
	if n.span == 0 {
		v = int64(g.r.Uint64())
	} else {
		v = n.min + int64(g.r.Uint64N(n.span))
	}
	return boxInt(n.kind, v)
}

// floatRangeNode draws floats in [min, max).
type floatRangeNode struct {
	min, width float64
	kind       kind
}

func (n *floatRangeNode) gen(g *genCtx) any {
	return boxFloat(n.kind, n.min+g.r.Float64()*n.width)
}

// intIterNode counts start, start+step, … by record, wrapping after period
// values when period > 0.
type intIterNode struct {
	start, step, period int64
	kind                kind
}

func (n *intIterNode) gen(g *genCtx) any {
	i := g.iter
	if n.period > 0 {
		i %= n.period
	}
	return boxInt(n.kind, n.start+n.step*i)
}

// floatIterNode is intIterNode for fractional starts or steps.
type floatIterNode struct {
	start, step float64
	period      int64
	kind        kind
}

func (n *floatIterNode) gen(g *genCtx) any {
	i := g.iter
	if n.period > 0 {
		i %= n.period
	}
	return boxFloat(n.kind, n.start+n.step*float64(i))
}

// regexNode builds a string matching a pattern.
type regexNode struct{ re *reNode }

func (n *regexNode) gen(g *genCtx) any {
	g.buf = n.re.appendTo(g.r, g.buf[:0])
	return string(g.buf)
}

// funcNode calls one gofakeit function and converts its result.
type funcNode struct {
	seg  segment
	kind kind
}

func (n *funcNode) gen(g *genCtx) any {
	v, err := n.seg.call(g)
	if err != nil {
		g.fail(err)
		return zeroOf(n.kind)
	}
	out, err := convertValue(v, n.kind)
	if err != nil {
		g.fail(fmt.Errorf("gofakeit function %q: %w", n.seg.name, err))
		return zeroOf(n.kind)
	}
	return out
}

// templateNode renders a gofakeit template and converts the text.
type templateNode struct {
	segs []segment
	kind kind
}

func (n *templateNode) gen(g *genCtx) any {
	b := g.buf[:0]
	for i := range n.segs {
		s := &n.segs[i]
		switch s.kind {
		case segLiteral:
			b = append(b, s.lit...)
		case segDigit:
			if len(b) == 0 {
				b = append(b, byte('1'+g.r.IntN(9)))
			} else {
				b = append(b, byte('0'+g.r.IntN(10)))
			}
		case segLetter:
			b = append(b, lowerLetters[g.r.IntN(len(lowerLetters))])
		case segFunc:
			v, err := s.call(g)
			if err != nil {
				g.fail(err)
				continue
			}
			b = appendAny(b, v)
		}
	}
	g.buf = b
	if n.kind == kindString {
		return string(b)
	}
	out, err := convertValue(string(b), n.kind)
	if err != nil {
		g.fail(err)
		return zeroOf(n.kind)
	}
	return out
}

// nowNode returns the current time.
type nowNode struct{ kind kind }

func (n nowNode) gen(g *genCtx) any {
	t := g.now().UTC().Truncate(time.Millisecond)
	switch n.kind {
	case kindInt64:
		return t.UnixMilli()
	case kindString:
		return t.Format(time.RFC3339Nano)
	}
	return t
}

// alnum is what default strings are made of.
const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// stringNode makes random alphanumeric strings of a length in [min, max].
type stringNode struct{ min, max int }

func (n *stringNode) gen(g *genCtx) any {
	b := g.buf[:0]
	for range randLen(g, n.min, n.max) {
		b = append(b, alnum[g.r.IntN(len(alnum))])
	}
	g.buf = b
	return string(b)
}

// bytesNode makes random byte strings of a length in [min, max].
type bytesNode struct{ min, max int }

func (n *bytesNode) gen(g *genCtx) any {
	b := make([]byte, randLen(g, n.min, n.max))
	for i := range b {
		b[i] = byte(g.r.Uint64())
	}
	return b
}

// randomNode draws a number of the whole range of its kind.
type randomNode struct{ kind kind }

func (n randomNode) gen(g *genCtx) any {
	switch n.kind {
	case kindInt32:
		return int32(g.r.Uint64())
	case kindInt64:
		return int64(g.r.Uint64())
	case kindFloat32:
		return float32(g.r.Float64())
	}
	return g.r.Float64()
}

// boolNode is true with probability odds.
type boolNode struct{ odds float64 }

func (n boolNode) gen(g *genCtx) any { return g.r.Float64() < n.odds }

// nullNode returns null with probability odds, else its inner value.
type nullNode struct {
	inner node
	odds  float64
}

func (n *nullNode) gen(g *genCtx) any {
	if g.r.Float64() < n.odds {
		return nil
	}
	return n.inner.gen(g)
}

// structNode fills a Struct field by field.
type structNode struct {
	schema *connectors.Schema
	fields []node
}

func (n *structNode) gen(g *genCtx) any {
	s := g.structs.New(n.schema)
	for i, f := range n.fields {
		s.SetAt(i, f.gen(g))
	}
	return s
}

// arrayNode makes arrays of a length in [min, max].
type arrayNode struct {
	items    node
	min, max int
}

func (n *arrayNode) gen(g *genCtx) any {
	out := make([]any, randLen(g, n.min, n.max))
	for i := range out {
		out[i] = n.items.gen(g)
	}
	return out
}

// mapNode makes string-keyed maps of a size in [min, max] (fewer when keys
// repeat).
type mapNode struct {
	keys, values node
	min, max     int
}

func (n *mapNode) gen(g *genCtx) any {
	size := randLen(g, n.min, n.max)
	out := make(map[string]any, size)
	for range size {
		k, _ := n.keys.gen(g).(string)
		out[k] = n.values.gen(g)
	}
	return out
}

func randLen(g *genCtx, lo, hi int) int {
	if hi > lo {
		return lo + g.r.IntN(hi-lo+1)
	}
	return lo
}

// boxInt returns an integer as the Go type of k.
func boxInt(k kind, v int64) any {
	switch k {
	case kindInt32:
		return int32(v)
	case kindString:
		return strconv.FormatInt(v, 10)
	case kindFloat32:
		return float32(v)
	case kindFloat64:
		return float64(v)
	case kindTimestamp:
		return time.UnixMilli(v).UTC()
	}
	return v
}

// boxFloat returns a float as the Go type of k.
func boxFloat(k kind, v float64) any {
	switch k {
	case kindFloat32:
		return float32(v)
	case kindString:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case kindInt32:
		return int32(v)
	case kindInt64:
		return int64(v)
	case kindTimestamp:
		return time.UnixMilli(int64(v)).UTC()
	}
	return v
}

// zeroOf returns a placeholder value of kind k for a failed generator.
func zeroOf(k kind) any {
	switch k {
	case kindString:
		return ""
	case kindInt32:
		return int32(0)
	case kindInt64:
		return int64(0)
	case kindFloat32:
		return float32(0)
	case kindFloat64:
		return float64(0)
	case kindBoolean:
		return false
	case kindBytes:
		return []byte{}
	case kindTimestamp:
		return time.UnixMilli(0).UTC()
	}
	return nil
}
