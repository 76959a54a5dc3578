package configs

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// errMalformedEscape is Java's message for a bad \uXXXX escape.
var errMalformedEscape = errors.New("Malformed \\uxxxx encoding.")

// ParseProperties reads a Java .properties document, as
// java.util.Properties.load does, except that the input is UTF-8 rather than
// ISO-8859-1:
//
//   - lines end with \n, \r or \r\n; blank lines and lines whose first
//     non-blank character is # or ! are comments;
//   - a line ending in an odd number of backslashes continues on the next
//     line, whose leading blanks are dropped;
//   - the key ends at the first unescaped '=', ':' or blank; blanks and at
//     most one '=' or ':' separate it from the value, whose trailing blanks
//     are kept;
//   - escapes \t \n \r \f and \uXXXX (UTF-16, surrogate pairs combined) are
//     decoded, and a backslash before any other character yields that
//     character (\\ \: \= \# \! and "\ ");
//   - a later duplicate key replaces an earlier one.
//
// It fails only on read errors and malformed \uXXXX escapes (wrapping
// ErrProperties, with the line number).
func ParseProperties(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read properties: %w", err)
	}
	out := make(map[string]string)
	p := propsReader{data: data, line: 1}
	for {
		logical, line, ok := p.next()
		if !ok {
			return out, nil
		}
		key, value, err := splitProperty(logical)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrProperties, line, err)
		}
		out[key] = value
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// propsReader splits a document into logical lines.
type propsReader struct {
	data []byte
	pos  int
	line int
}

// next returns the next logical line with continuations joined (escapes
// still encoded) and the number of its first natural line.
func (p *propsReader) next() (string, int, bool) {
	for p.pos < len(p.data) {
		// Skip leading blanks and empty natural lines.
		for p.pos < len(p.data) && isBlank(p.data[p.pos]) {
			p.pos++
		}
		if p.pos >= len(p.data) {
			return "", 0, false
		}
		c := p.data[p.pos]
		if c == '\n' || c == '\r' {
			p.eol()
			continue
		}
		first := p.line
		if c == '#' || c == '!' {
			p.skipLine()
			continue
		}
		var b strings.Builder
		for {
			seg := p.natural()
			// Count the backslashes ending the natural line.
			n := 0
			for n < len(seg) && seg[len(seg)-1-n] == '\\' {
				n++
			}
			if n%2 == 0 {
				b.Write(seg)
				return b.String(), first, true
			}
			b.Write(seg[:len(seg)-1])
			if p.pos >= len(p.data) {
				// A continuation at the end of input is dropped.
				return b.String(), first, true
			}
			for p.pos < len(p.data) && isBlank(p.data[p.pos]) {
				p.pos++
			}
		}
	}
	return "", 0, false
}

// natural returns the rest of the current natural line and moves past its
// terminator.
func (p *propsReader) natural() []byte {
	start := p.pos
	for p.pos < len(p.data) && p.data[p.pos] != '\n' && p.data[p.pos] != '\r' {
		p.pos++
	}
	seg := p.data[start:p.pos]
	p.eol()
	return seg
}

// eol consumes one line terminator, if any.
func (p *propsReader) eol() {
	if p.pos >= len(p.data) {
		return
	}
	if p.data[p.pos] == '\r' {
		p.pos++
		if p.pos < len(p.data) && p.data[p.pos] == '\n' {
			p.pos++
		}
	} else if p.data[p.pos] == '\n' {
		p.pos++
	}
	p.line++
}

func (p *propsReader) skipLine() { p.natural() }

// splitProperty splits a logical line into its decoded key and value.
func splitProperty(line string) (string, string, error) {
	keyLen := 0
	valueStart := len(line)
	hasSep := false
	escaped := false
	for keyLen < len(line) {
		c := line[keyLen]
		if (c == '=' || c == ':') && !escaped {
			valueStart = keyLen + 1
			hasSep = true
			break
		}
		if isBlank(c) && !escaped {
			valueStart = keyLen + 1
			break
		}
		if c == '\\' {
			escaped = !escaped
		} else {
			escaped = false
		}
		keyLen++
	}
	for valueStart < len(line) {
		c := line[valueStart]
		if !isBlank(c) {
			if !hasSep && (c == '=' || c == ':') {
				hasSep = true
			} else {
				break
			}
		}
		valueStart++
	}
	key, err := unescapeProperty(line[:keyLen])
	if err != nil {
		return "", "", err
	}
	value, err := unescapeProperty(line[valueStart:])
	if err != nil {
		return "", "", err
	}
	return key, value, nil
}

// unescapeProperty decodes the escapes of a key or value.
func unescapeProperty(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	var pending rune = -1 // a high surrogate waiting for its pair
	flush := func() {
		if pending >= 0 {
			b.WriteRune(utf8.RuneError)
			pending = -1
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			flush()
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break
		}
		c = s[i]
		if c == 'u' {
			if i+4 >= len(s) {
				return "", errMalformedEscape
			}
			var r rune
			for _, h := range []byte(s[i+1 : i+5]) {
				var d byte
				switch {
				case h >= '0' && h <= '9':
					d = h - '0'
				case h >= 'a' && h <= 'f':
					d = h - 'a' + 10
				case h >= 'A' && h <= 'F':
					d = h - 'A' + 10
				default:
					return "", errMalformedEscape
				}
				r = r<<4 | rune(d)
			}
			i += 4
			switch {
			case utf16.IsSurrogate(r) && r < 0xDC00:
				flush()
				pending = r
			case utf16.IsSurrogate(r):
				if pending >= 0 {
					b.WriteRune(utf16.DecodeRune(pending, r))
					pending = -1
				} else {
					b.WriteRune(utf8.RuneError)
				}
			default:
				flush()
				b.WriteRune(r)
			}
			continue
		}
		flush()
		switch c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return b.String(), nil
}
