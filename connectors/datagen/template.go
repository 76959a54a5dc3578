package datagen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// Templates. A generator string such as "{firstname} {lastname}" or
// "{number:1,1000}" follows gofakeit's Generate syntax: {function} or
// {function:params} calls one of gofakeit's lookup functions, '#' in the
// literal text becomes a random digit (1-9 at the very start, so numbers
// have no leading zero) and '?' a random lower-case letter. Unlike
// Generate, the template is parsed once, unknown functions are an error
// rather than literal text, and '#' and '?' are replaced only outside
// braces.

type segKind uint8

const (
	segLiteral segKind = iota
	segDigit
	segLetter
	segFunc
)

type segment struct {
	kind   segKind
	lit    string
	name   string
	info   *gofakeit.Info
	params *gofakeit.MapParams
}

// lowerLetters are what '?' becomes, as in gofakeit.
const lowerLetters = "abcdefghijklmnopqrstuvwxyz"

// parseTemplate splits a template into segments.
func parseTemplate(tpl string) ([]segment, error) {
	var segs []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{kind: segLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(tpl); i++ {
		switch c := tpl[i]; c {
		case '#':
			flush()
			segs = append(segs, segment{kind: segDigit})
		case '?':
			flush()
			segs = append(segs, segment{kind: segLetter})
		case '{':
			end, depth := -1, 0
			for j := i; j < len(tpl); j++ {
				if tpl[j] == '{' {
					depth++
				} else if tpl[j] == '}' {
					if depth--; depth == 0 {
						end = j
						break
					}
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("unclosed { in template %q", tpl)
			}
			seg, err := funcSegment(tpl[i+1 : end])
			if err != nil {
				return nil, err
			}
			flush()
			segs = append(segs, seg)
			i = end
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return segs, nil
}

// funcSegment parses "name" or "name:params" into a call of a gofakeit
// lookup function with its parameters bound once.
func funcSegment(call string) (segment, error) {
	name, params, hasParams := strings.Cut(call, ":")
	name = strings.TrimSpace(name)
	info := gofakeit.GetFuncLookup(name)
	if info == nil {
		return segment{}, fmt.Errorf("unknown gofakeit function %q", name)
	}
	if info.Generate == nil {
		return segment{}, fmt.Errorf("gofakeit function %q cannot generate values", name)
	}
	seg := segment{kind: segFunc, name: name, info: info}
	if !hasParams || params == "" || len(info.Params) == 0 {
		return seg, nil
	}
	mp := gofakeit.NewMapParams()
	if len(info.Params) == 1 && info.Params[0].Type == "string" {
		mp.Add(info.Params[0].Field, params)
	} else {
		vals, err := splitParams(params)
		if err != nil {
			return segment{}, fmt.Errorf("function %q: %v", name, err)
		}
		if len(vals) > len(info.Params) {
			return segment{}, fmt.Errorf("function %q takes at most %d parameters, got %d", name, len(info.Params), len(vals))
		}
		for i, v := range vals {
			field := info.Params[i].Field
			if inner, ok := strings.CutPrefix(v, "["); ok {
				items, err := splitParams(strings.TrimSuffix(inner, "]"))
				if err != nil {
					return segment{}, fmt.Errorf("function %q: %v", name, err)
				}
				for _, it := range items {
					mp.Add(field, it)
				}
				continue
			}
			mp.Add(field, v)
		}
	}
	seg.params = mp
	return seg, nil
}

// splitParams splits comma-separated parameters, keeping [a,b] lists whole.
func splitParams(s string) ([]string, error) {
	var out []string
	for s != "" {
		if strings.HasPrefix(s, "[") {
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, fmt.Errorf("missing ] in parameters")
			}
			out = append(out, strings.TrimSpace(s[:end+1]))
			s = strings.TrimPrefix(strings.TrimSpace(s[end+1:]), ",")
			continue
		}
		v, rest, more := strings.Cut(s, ",")
		out = append(out, strings.TrimSpace(v))
		if !more {
			break
		}
		s = rest
	}
	return out, nil
}

// call runs a function segment.
func (s *segment) call(g *genCtx) (any, error) {
	v, err := s.info.Generate(g.faker, s.params, s.info)
	if err != nil {
		return nil, fmt.Errorf("gofakeit function %q: %w", s.name, err)
	}
	return v, nil
}

// appendAny appends the text form of a gofakeit result, as gofakeit's
// Generate prints it (%v), without fmt for the common types.
func appendAny(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(b, x...)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float32:
		return strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case []byte:
		return append(b, x...)
	case time.Time:
		return x.AppendFormat(b, time.RFC3339Nano)
	}
	return fmt.Append(b, v)
}
