package datagen

import (
	"fmt"
	"regexp/syntax"
	"unicode/utf8"
)

// Regex generators. A pattern is parsed once (RE2 syntax) into a small tree
// that appends a random matching string to a buffer; gofakeit's Regex would
// parse the pattern on every call. Unbounded repetition (*, +, {n,}) is
// capped at 10 more than its minimum, as gofakeit does, and character
// classes that span beyond printable ASCII (negated classes, '.') draw from
// printable ASCII only.
//
// A pattern that matches only a few strings (User_[1-9], Region_[1-9]) is
// instead enumerated once with each string's probability under the same
// random walk, and drawn from that list: no parsing, building or allocation
// per value.

type reOp uint8

const (
	reEmpty reOp = iota
	reLiteral
	reClass
	reConcat
	reAlternate
	reRepeat
)

// maxUnbounded is how many repetitions beyond the minimum * + and {n,} allow.
const maxUnbounded = 10

// maxEnumerated is the largest number of distinct strings a pattern may
// match to be drawn from an enumerated list.
const maxEnumerated = 1024

type reNode struct {
	op       reOp
	lit      string // reLiteral
	ranges   []rune // reClass: inclusive lo, hi pairs
	count    int    // reClass: number of runes in ranges
	subs     []*reNode
	min, max int // reRepeat
}

// printable is the printable ASCII range that '.' and very wide classes use.
var printable = []rune{0x20, 0x7e}

func compileRegex(expr string) (*reNode, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	return convertRegex(re)
}

func convertRegex(re *syntax.Regexp) (*reNode, error) {
	switch re.Op {
	case syntax.OpNoMatch:
		return nil, fmt.Errorf("regex %q matches nothing", re.String())
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return &reNode{op: reEmpty}, nil
	case syntax.OpLiteral:
		return &reNode{op: reLiteral, lit: string(re.Rune)}, nil
	case syntax.OpCharClass:
		return classNode(re.Rune), nil
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return classNode(printable), nil
	case syntax.OpCapture:
		return convertRegex(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		sub, err := convertRegex(re.Sub[0])
		if err != nil {
			return nil, err
		}
		n := &reNode{op: reRepeat, subs: []*reNode{sub}}
		switch re.Op {
		case syntax.OpStar:
			n.min, n.max = 0, maxUnbounded
		case syntax.OpPlus:
			n.min, n.max = 1, 1+maxUnbounded
		case syntax.OpQuest:
			n.min, n.max = 0, 1
		default:
			n.min, n.max = re.Min, re.Max
			if n.max < 0 {
				n.max = n.min + maxUnbounded
			}
		}
		return n, nil
	case syntax.OpConcat, syntax.OpAlternate:
		n := &reNode{op: reConcat}
		if re.Op == syntax.OpAlternate {
			n.op = reAlternate
		}
		for _, s := range re.Sub {
			c, err := convertRegex(s)
			if err != nil {
				return nil, err
			}
			n.subs = append(n.subs, c)
		}
		return n, nil
	}
	return nil, fmt.Errorf("unsupported regex construct %q", re.String())
}

// classNode builds a character class, falling back to its printable ASCII
// part when it is very wide.
func classNode(ranges []rune) *reNode {
	count := classSize(ranges)
	if count > 1000 {
		var narrowed []rune
		for i := 0; i < len(ranges); i += 2 {
			lo, hi := max(ranges[i], printable[0]), min(ranges[i+1], printable[1])
			if lo <= hi {
				narrowed = append(narrowed, lo, hi)
			}
		}
		if len(narrowed) > 0 {
			ranges, count = narrowed, classSize(narrowed)
		}
	}
	return &reNode{op: reClass, ranges: ranges, count: count}
}

func classSize(ranges []rune) int {
	n := 0
	for i := 0; i < len(ranges); i += 2 {
		n += int(ranges[i+1]-ranges[i]) + 1
	}
	return n
}

// nth returns the n-th rune of a class.
func (n *reNode) nth(i int) rune {
	for j := 0; j < len(n.ranges); j += 2 {
		size := int(n.ranges[j+1]-n.ranges[j]) + 1
		if i < size {
			return n.ranges[j] + rune(i)
		}
		i -= size
	}
	return n.ranges[len(n.ranges)-1]
}

// appendTo appends a random string matching n.
func (n *reNode) appendTo(r randSource, b []byte) []byte {
	switch n.op {
	case reLiteral:
		return append(b, n.lit...)
	case reClass:
		return utf8.AppendRune(b, n.nth(r.IntN(n.count)))
	case reConcat:
		for _, s := range n.subs {
			b = s.appendTo(r, b)
		}
	case reAlternate:
		return n.subs[r.IntN(len(n.subs))].appendTo(r, b)
	case reRepeat:
		c := n.min
		if n.max > n.min {
			c += r.IntN(n.max - n.min + 1)
		}
		for range c {
			b = n.subs[0].appendTo(r, b)
		}
	}
	return b
}

// weighted is one string a pattern matches and its probability.
type weighted struct {
	s string
	p float64
}

// enumerate lists the strings n matches with their probabilities under
// appendTo's random walk, or returns nil when there are more than
// maxEnumerated.
func (n *reNode) enumerate() []weighted {
	switch n.op {
	case reEmpty:
		return []weighted{{"", 1}}
	case reLiteral:
		return []weighted{{n.lit, 1}}
	case reClass:
		if n.count > maxEnumerated {
			return nil
		}
		out := make([]weighted, n.count)
		for i := range out {
			out[i] = weighted{string(n.nth(i)), 1 / float64(n.count)}
		}
		return out
	case reConcat:
		acc := []weighted{{"", 1}}
		for _, s := range n.subs {
			if acc = product(acc, s.enumerate()); acc == nil {
				return nil
			}
		}
		return acc
	case reAlternate:
		var out []weighted
		for _, s := range n.subs {
			e := s.enumerate()
			if e == nil || len(out)+len(e) > maxEnumerated {
				return nil
			}
			for _, w := range e {
				out = append(out, weighted{w.s, w.p / float64(len(n.subs))})
			}
		}
		return merge(out)
	case reRepeat:
		sub := n.subs[0].enumerate()
		if sub == nil {
			return nil
		}
		choices := float64(n.max - n.min + 1)
		var out []weighted
		acc := []weighted{{"", 1}}
		for c := 0; c <= n.max; c++ {
			if c > 0 {
				if acc = product(acc, sub); acc == nil {
					return nil
				}
			}
			if c < n.min {
				continue
			}
			if len(out)+len(acc) > maxEnumerated {
				return nil
			}
			for _, w := range acc {
				out = append(out, weighted{w.s, w.p / choices})
			}
		}
		return merge(out)
	}
	return nil
}

// product concatenates every string of a with every string of b, or returns
// nil when either is nil or the result would be too large.
func product(a, b []weighted) []weighted {
	if a == nil || b == nil || len(a)*len(b) > maxEnumerated {
		return nil
	}
	out := make([]weighted, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, weighted{x.s + y.s, x.p * y.p})
		}
	}
	return merge(out)
}

// merge adds up the probabilities of repeated strings, keeping first-seen
// order so that draws are reproducible.
func merge(ws []weighted) []weighted {
	idx := make(map[string]int, len(ws))
	out := ws[:0:0]
	for _, w := range ws {
		if i, ok := idx[w.s]; ok {
			out[i].p += w.p
			continue
		}
		idx[w.s] = len(out)
		out = append(out, w)
	}
	return out
}
