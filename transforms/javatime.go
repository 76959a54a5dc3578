package transforms

import (
	"fmt"
	"strings"
)

// javaLayout translates a java.text.SimpleDateFormat pattern, the format
// Kafka's timestamp transforms take, into a Go time layout. It covers the
// letters timestamps use: y, M (numeric and names), d, H, h, m, s, S after
// '.' or ',', a, E, z, Z and X, and quoted text. Other letters are refused,
// since silently printing them as text would produce wrong topic names or
// values.
func javaLayout(pattern string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		switch {
		case c == '\'':
			if n >= 2 { // '' is a literal quote
				b.WriteString(strings.Repeat("'", n/2))
				i += n / 2 * 2
				continue
			}
			end := strings.IndexByte(pattern[i+1:], '\'')
			if end < 0 {
				return "", fmt.Errorf("unterminated quote in %q", pattern)
			}
			b.WriteString(pattern[i+1 : i+1+end])
			i += end + 2
			continue
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			tok, err := javaToken(c, n, b.String())
			if err != nil {
				return "", fmt.Errorf("%w in %q", err, pattern)
			}
			b.WriteString(tok)
		default:
			b.WriteString(pattern[i : i+n])
		}
		i += n
	}
	return b.String(), nil
}

// javaToken maps one run of a SimpleDateFormat letter; before is the
// layout so far (fractional seconds must follow '.' or ',' in Go).
func javaToken(c byte, n int, before string) (string, error) {
	pick := func(short, long string) string {
		if n == 1 {
			return short
		}
		return long
	}
	switch c {
	case 'y':
		if n == 2 {
			return "06", nil
		}
		return "2006", nil
	case 'M':
		switch n {
		case 1:
			return "1", nil
		case 2:
			return "01", nil
		case 3:
			return "Jan", nil
		}
		return "January", nil
	case 'd':
		return pick("2", "02"), nil
	case 'H':
		return "15", nil
	case 'h':
		return pick("3", "03"), nil
	case 'm':
		return pick("4", "04"), nil
	case 's':
		return pick("5", "05"), nil
	case 'S':
		if !strings.HasSuffix(before, ".") && !strings.HasSuffix(before, ",") {
			return "", fmt.Errorf("fractional seconds (S) must follow '.' or ','")
		}
		return strings.Repeat("0", n), nil
	case 'a':
		return "PM", nil
	case 'E':
		if n >= 4 {
			return "Monday", nil
		}
		return "Mon", nil
	case 'z':
		return "MST", nil
	case 'Z':
		return "-0700", nil
	case 'X':
		switch n {
		case 1:
			return "Z07", nil
		case 2:
			return "Z0700", nil
		}
		return "Z07:00", nil
	}
	return "", fmt.Errorf("unsupported pattern letter %q", c)
}
