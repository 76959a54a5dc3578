package transforms

import (
	"fmt"
	"regexp"
	"strings"
)

// compileWhole compiles a Java-style regular expression that must match a
// whole string, as Java's Matcher.matches does. RE2 accepts the patterns
// topic routing uses (classes, groups, alternation, quantifiers); Java-only
// constructs such as look-around are refused with RE2's message.
func compileWhole(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + pattern + `)$`)
}

// javaReplacement turns a Java replacement string ($1 for a group, \$ for
// a dollar sign) into a template for regexp.Expand. Java takes as many
// digits after $ as still name an existing group, so with two groups "$12"
// is group 1 followed by "2"; Go would read a group named "12".
func javaReplacement(repl string, groups int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		switch c := repl[i]; c {
		case '\\':
			if i+1 == len(repl) {
				return "", fmt.Errorf("character to be escaped is missing")
			}
			i++
			if repl[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(repl[i])
			}
		case '$':
			if i+1 < len(repl) && repl[i+1] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return "", fmt.Errorf("named capturing group is missing trailing '}'")
				}
				b.WriteString(repl[i : i+end+1])
				i += end
				continue
			}
			j := i + 1
			if j == len(repl) || repl[j] < '0' || repl[j] > '9' {
				return "", fmt.Errorf("illegal group reference")
			}
			n := int(repl[j] - '0')
			if n > groups {
				return "", fmt.Errorf("no group %d", n)
			}
			j++
			for j < len(repl) && repl[j] >= '0' && repl[j] <= '9' && n*10+int(repl[j]-'0') <= groups {
				n = n*10 + int(repl[j]-'0')
				j++
			}
			fmt.Fprintf(&b, "${%d}", n)
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
